"""Mastodon's admin API for accounts, for a network's moderators, admins and owner: the
Admin::Account entity, the list's filters and paging, each action and its undoing, the audit
log; members 403, another network's account 404, missing scopes 403, wrong values 422."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, unique
from tests.helpers.mail_drop import link_in
from tests.helpers.moderation import (
    ADMIN_ACCOUNTS,
    NOT_FOUND,
    OUTSIDE,
    act,
    admin_account,
    audit_actions,
    team,
    token_with,
)

V2 = "/api/v2/admin/accounts"


async def listed(api: Api, headers: dict[str, str], path: str = V2, **params: Any
                 ) -> list[dict[str, Any]]:
    r = await api.client.get(path, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return list(r.json())


async def test_a_moderator_reads_an_account_as_mastodons_admin_account(api: Api) -> None:
    _, [moderator, member] = await team(api, "moderator", "member")
    found = await admin_account(api, moderator, member)
    assert found["id"] == member.id and found["username"] == member.username
    assert found["email"] == member.email and found["domain"] is None
    assert found["confirmed"] is True and found["approved"] is True
    for flag in ("disabled", "silenced", "suspended", "sensitized"):
        assert found[flag] is False
    assert found["role"]["id"] == "-99"
    assert found["account"]["id"] == member.id
    assert found["ips"] == [] and found["created_at"].endswith("Z")


async def test_the_list_filters_and_pages(api: Api) -> None:
    owner, [moderator, ana, bob] = await team(api, "moderator", "member", "member")
    everyone = await listed(api, moderator.headers)
    assert {a["id"] for a in everyone} == {owner.id, moderator.id, ana.id, bob.id}
    assert [a["id"] for a in everyone] == sorted((a["id"] for a in everyone), key=int,
                                                 reverse=True)
    assert [a["id"] for a in await listed(api, moderator.headers, username=ana.username)
            ] == [ana.id]
    assert [a["id"] for a in await listed(api, moderator.headers, email=bob.email)] == [bob.id]
    domain = ana.email.split("@")[1]
    assert len(await listed(api, moderator.headers, by_domain=domain.upper())) == 4
    assert await listed(api, moderator.headers, by_domain="elsewhere.test") == []
    staff = await listed(api, moderator.headers, permissions="staff")
    assert {a["id"] for a in staff} == {owner.id, moderator.id}
    owners = await listed(api, moderator.headers, **{"role_ids[]": "3"})
    assert [a["id"] for a in owners] == [owner.id]
    assert await listed(api, moderator.headers, origin="remote") == []
    page = await api.client.get(V2, headers=moderator.headers, params={"limit": 2})
    assert len(page.json()) == 2 and "max_id=" in page.headers["link"]
    older = await listed(api, moderator.headers, limit=2, max_id=page.json()[-1]["id"])
    assert {a["id"] for a in older}.isdisjoint({a["id"] for a in page.json()})
    assert len(older) == 2
    # v1 answers the same list
    assert {a["id"] for a in await listed(api, moderator.headers, ADMIN_ACCOUNTS, staff="true")
            } == {owner.id, moderator.id}


async def test_the_list_filters_by_status(api: Api) -> None:
    owner, [silenced, suspended, fine] = await team(api, "member", "member", "member")
    assert (await act(api, owner, silenced, type="silence")).status_code == 200
    assert (await act(api, owner, suspended, type="suspend")).status_code == 200
    assert [a["id"] for a in await listed(api, owner.headers, status="silenced")
            ] == [silenced.id]
    assert [a["id"] for a in await listed(api, owner.headers, status="suspended")
            ] == [suspended.id]
    assert [a["id"] for a in await listed(api, owner.headers, ADMIN_ACCOUNTS, suspended="true")
            ] == [suspended.id]
    active = {a["id"] for a in await listed(api, owner.headers, status="active")}
    assert fine.id in active and silenced.id in active and suspended.id not in active
    assert await listed(api, owner.headers, status="pending") == []


async def test_wrong_filter_values_are_422s(api: Api) -> None:
    _, [moderator] = await team(api, "moderator")
    for params in ({"status": "asleep"}, {"origin": "mars"}, {"role_ids[]": "42"},
                   {"role": "king"}, {"email": "x" * 400}):
        r = await api.client.get(V2, headers=moderator.headers, params=params)
        assert r.status_code == 422, (params, r.text)


async def test_members_are_refused_and_other_networks_unknown(api: Api) -> None:
    _, [member, other] = await team(api, "member", "member")
    stranger_owner, [stranger] = await team(api, "member")
    for path in (V2, ADMIN_ACCOUNTS, f"{ADMIN_ACCOUNTS}/{other.id}"):
        r = await api.client.get(path, headers=member.headers)
        assert r.status_code == 403, (path, r.text)
    assert (await act(api, member, other, type="silence")).status_code == 403
    assert (await act(api, member, other, "unsilence")).status_code == 403
    # Another network's owner sees nothing of this one.
    r = await api.client.get(f"{ADMIN_ACCOUNTS}/{member.id}", headers=stranger_owner.headers)
    assert r.status_code == 404 and r.json() == NOT_FOUND
    assert (await act(api, stranger_owner, member, type="suspend")).status_code == 404
    assert (await act(api, stranger_owner, member, "unsuspend")).status_code == 404
    assert member.id not in {a["id"] for a in await listed(api, stranger_owner.headers)}
    assert stranger.id not in {a["id"] for a in await listed(
        api, (await team(api))[0].headers)}


async def test_admin_scopes_are_needed(api: Api) -> None:
    owner, [member] = await team(api, "member")
    plain = await token_with(api, owner, owner, "read write")
    r = await api.client.get(V2, headers=plain)
    assert r.status_code == 403 and r.json() == OUTSIDE
    assert (await act(api, owner, member, headers=plain, type="silence")).status_code == 403
    reads = await token_with(api, owner, owner, "admin:read:accounts")
    assert (await api.client.get(V2, headers=reads)).status_code == 200
    r = await act(api, owner, member, headers=reads, type="silence")
    assert r.status_code == 403 and r.json() == OUTSIDE
    parent = await token_with(api, owner, owner, "admin:write")
    assert (await act(api, owner, member, headers=parent, type="silence")).status_code == 200
    writes = await token_with(api, owner, owner, "admin:write:accounts")
    assert (await act(api, owner, member, "unsilence", headers=writes)).status_code == 200


async def test_each_action_and_its_undoing(api: Api) -> None:
    owner, [moderator, member] = await team(api, "moderator", "member")
    for action, flag, undo in (("sensitive", "sensitized", "unsensitive"),
                               ("silence", "silenced", "unsilence"),
                               ("disable", "disabled", "enable"),
                               ("suspend", "suspended", "unsuspend")):
        r = await act(api, moderator, member, type=action, text="see the report",
                      send_email_notification=True)
        assert r.status_code == 200 and r.json() == {}, r.text
        assert (await admin_account(api, moderator, member))[flag] is True
        undone = await act(api, moderator, member, undo)
        assert undone.status_code == 200, undone.text
        assert undone.json()[flag] is False and undone.json()["id"] == member.id
    warned = await act(api, moderator, member, type="none", text="be nice")
    assert warned.status_code == 200, warned.text
    logged = await audit_actions(api, owner)
    for name in ("account.sensitized", "account.unsensitized", "account.silenced",
                 "account.unsilenced", "account.disabled", "account.enabled",
                 "account.suspended", "account.unsuspended", "account.warned"):
        assert name in logged, name


async def test_who_may_act_on_whom(api: Api) -> None:
    owner, [admin, moderator, other_moderator] = await team(api, "admin", "moderator",
                                                            "moderator")
    assert (await act(api, moderator, other_moderator, type="silence")).status_code == 403
    assert (await act(api, moderator, owner, type="suspend")).status_code == 403
    assert (await act(api, moderator, moderator, type="silence")).status_code == 422
    assert (await act(api, admin, other_moderator, type="silence")).status_code == 200
    assert (await act(api, admin, owner, type="suspend")).status_code == 403


async def test_wrong_action_values(api: Api) -> None:
    _, [moderator, member] = await team(api, "moderator", "member")
    assert (await act(api, moderator, member, type="banish")).status_code == 422
    assert (await act(api, moderator, member, type="silence", text="x" * 5001)
            ).status_code == 422
    assert (await act(api, moderator, member, type="silence", report_id="nope")
            ).status_code == 404
    assert (await act(api, moderator, member, type="silence", report_id="123456789")
            ).status_code == 404
    assert (await act(api, moderator, member, "frobnicate")).status_code == 404
    assert (await act(api, moderator, "123456789", type="silence")).status_code == 404


async def test_approve_and_reject_use_the_approval_queue(api: Api) -> None:
    """The admin API's approve and reject are the network's approval queue (#14): a confirmed
    sign-up waits (``status=pending``) until approved, or is rejected; anyone not waiting is
    not in the queue (404). The stack's registrations are ``open``: an IP block asking for
    approval (the tests' client is on loopback) puts these sign-ups in the queue."""
    owner, [member] = await team(api, "member")
    domain = owner.email.split("@")[1]
    block = await api.client.post("/api/v1/admin/ip_blocks", headers=owner.headers, json={
        "ip": "127.0.0.0/8", "severity": "sign_up_requires_approval"})
    assert block.status_code == 200, block.text
    for _ in range(2):
        email = f"{unique()}@{domain}"
        r = await api.sign_up(unique(), email)
        assert r.status_code == 200, r.text
        confirmed = await api.confirm(link_in(await api.next_mail(email)))
        assert confirmed.status_code == 200, confirmed.text
    pending = await listed(api, owner.headers, status="pending")
    assert len(pending) == 2 and all(a["approved"] is False for a in pending)
    first, second = sorted(pending, key=lambda a: int(a["id"]))
    assert (await act(api, member, first["id"], "approve")).status_code == 403
    approved = await act(api, owner, first["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved"] is True and approved.json()["id"] == first["id"]
    rejected = await act(api, owner, second["id"], "reject")
    assert rejected.status_code == 200, rejected.text
    assert await listed(api, owner.headers, status="pending") == []
    assert (await act(api, owner, member, "approve")).status_code == 404
    assert (await act(api, owner, first["id"], "reject")).status_code == 404
    logged = await audit_actions(api, owner)
    assert "account.approved" in logged and "account.rejected" in logged
