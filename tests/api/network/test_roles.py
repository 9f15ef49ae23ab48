"""Network roles and the audit log, through the API.

``top`` is a fresh network's first account: its admin today, its owner once networks are made
by operators (#14). Everything here holds either way; what needs an owner (making admins and
owners, the last owner) is in tests/graph/test_network_roles.py."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.helpers import Api, User, other_domain, unique

NETWORK = "/api/hubbub/v1/network"
AUDIT = f"{NETWORK}/audit"
OUTSIDE = {"error": "This action is outside the authorized scopes"}


async def set_role(api: Api, actor: User, target: User | str, role: Any) -> httpx.Response:
    target_id = target if isinstance(target, str) else target.id
    return await api.client.patch(f"{NETWORK}/members/{target_id}", headers=actor.headers,
                                  json={"role": role})


async def deactivate(api: Api, actor: User, target: User) -> httpx.Response:
    return await api.client.post(f"{NETWORK}/accounts/{target.id}/deactivate",
                                 headers=actor.headers)


async def role_of(api: Api, user: User) -> str:
    r = await api.client.get(NETWORK, headers=user.headers)
    assert r.status_code == 200, r.text
    return str(r.json()["role"])


async def team(api: Api, *roles: str) -> tuple[User, list[User]]:
    """A fresh network: its first account, and one more account for each role, given it by
    the first through the API."""
    domain = other_domain()
    top = await api.user(domain=domain)
    others = []
    for role in roles:
        user = await api.user(domain=domain)
        if role != "member":
            r = await set_role(api, top, user, role)
            assert r.status_code == 200, r.text
        others.append(user)
    return top, others


async def entries(api: Api, user: User, **params: Any) -> list[dict[str, Any]]:
    """The log's entries of admins' actions (the operator's making of the network, logged
    first, is left out)."""
    r = await api.client.get(AUDIT, headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return [e for e in r.json() if e["actor"].get("kind") != "operator"]


async def token_with(api: Api, user: User, scope: str) -> dict[str, str]:
    """A token of ``user`` holding exactly ``scope`` (the password grant: its network's top
    admin allowed the tests' app)."""
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": user.email,
        "password": user.password, "scope": scope})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_roles_are_given_and_shown_as_mastodon_roles(api: Api) -> None:
    top, [moderator, guest, member] = await team(api, "moderator", "guest", "member")
    r = await set_role(api, top, member, "moderator")
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["id"] == member.id and shown["hubbub"]["role"] == "moderator"
    assert shown["role"] == {"id": "1", "name": "Moderator", "permissions": str(1 << 10),
                             "color": "", "highlighted": True}
    assert await role_of(api, member) == "moderator"
    r = await set_role(api, top, member, "member")  # and back
    assert (r.json()["hubbub"]["role"], r.json()["role"]["id"]) == ("member", "-99")
    assert (r.json()["role"]["permissions"], r.json()["role"]["highlighted"]) == ("0", False)
    assert await role_of(api, member) == "member"
    # Profiles show the highlighted role, as Mastodon's Account.roles does; the same again is
    # no change, and answers alike.
    assert (await set_role(api, top, moderator, "moderator")).status_code == 200
    profile = (await api.client.get(f"/api/v1/accounts/{moderator.id}",
                                    headers=member.headers)).json()
    assert profile["roles"] == [{"id": "1", "name": "Moderator", "color": ""}]
    me = (await api.client.get("/api/v1/accounts/verify_credentials",
                               headers=moderator.headers)).json()
    assert me["role"]["name"] == "Moderator" and me["roles"] == profile["roles"]
    assert await role_of(api, guest) == "guest"
    profile = (await api.client.get(f"/api/v1/accounts/{guest.id}",
                                    headers=member.headers)).json()
    assert profile["roles"] == []
    top_profile = (await api.client.get(f"/api/v1/accounts/{top.id}",
                                        headers=member.headers)).json()
    assert top_profile["roles"][0]["name"] in ("Admin", "Owner")  # (owner after #14's core)


async def test_role_changes_refused(api: Api) -> None:
    top, [moderator, member, guest, victim] = await team(api, "moderator", "member", "guest",
                                                         "member")
    outsider = await api.user(domain=other_domain())
    before = await entries(api, top)
    # Nobody changes their own role.
    for user in (top, moderator, member):
        r = await set_role(api, user, user, "guest")
        assert r.status_code == 422, r.text
    # Roles are graph's: a name it does not know, or no role at all, is refused.
    for role in ("root", "Owner", "", 7, None, ["admin"]):
        r = await set_role(api, top, victim, role)
        assert r.status_code == 422, (role, r.text)
    r = await api.client.patch(f"{NETWORK}/members/{victim.id}", headers=top.headers, json={})
    assert r.status_code == 422
    # Only someone of this network, who is still a member.
    for target in (outsider.id, "123", "x1", "-5"):
        assert (await set_role(api, top, target, "guest")).status_code == 404, target
    # Moderators, members and guests give no roles.
    for actor in (moderator, member, guest):
        r = await set_role(api, actor, victim, "guest")
        assert r.status_code == 403, r.text
        assert r.json() != OUTSIDE  # the role's refusal, not the token's
    assert await role_of(api, victim) == "member"
    assert await role_of(api, top) in ("admin", "owner")
    assert await entries(api, top) == before  # refused: nothing written
    assert (await deactivate(api, top, victim)).status_code == 200
    assert (await set_role(api, top, victim, "guest")).status_code == 404  # not a member now


async def test_moderators_deactivate_members_and_guests_and_nothing_else(api: Api) -> None:
    top, [moderator, other_moderator, member, guest] = await team(
        api, "moderator", "moderator", "member", "guest")
    for target in (other_moderator, top):
        r = await deactivate(api, moderator, target)
        assert r.status_code == 403, r.text
    assert (await api.client.get("/api/v1/accounts/verify_credentials",
                                 headers=other_moderator.headers)).status_code == 200
    r = await api.client.patch(NETWORK, headers=moderator.headers, json={"name": "Mine"})
    assert r.status_code == 403
    r = await api.client.post(f"{NETWORK}/invitations", headers=moderator.headers,
                              json={"email": f"{unique()}@partner.test"})
    assert r.status_code == 403
    assert (await api.client.get(AUDIT, headers=moderator.headers)).status_code == 403
    for target in (member, guest):
        r = await deactivate(api, moderator, target)
        assert r.status_code == 200, r.text
        r = await api.client.get("/api/v1/accounts/verify_credentials", headers=target.headers)
        assert r.status_code == 401
    # Members and guests deactivate nobody.
    _, [member, guest, colleague] = await team(api, "member", "guest", "member")
    for actor in (member, guest):
        assert (await deactivate(api, actor, colleague)).status_code == 403


async def test_guests_may_not_list_the_members(api: Api) -> None:
    top, [guest, member] = await team(api, "guest", "member")
    r = await api.client.get(f"{NETWORK}/members", headers=guest.headers)
    assert r.status_code == 403, r.text
    assert (await api.client.get(f"{NETWORK}/members", headers=member.headers)
            ).status_code == 200
    assert await role_of(api, guest) == "guest"  # their network they see
    assert (await set_role(api, top, guest, "member")).status_code == 200
    assert (await api.client.get(f"{NETWORK}/members", headers=guest.headers)
            ).status_code == 200


async def test_every_admin_action_is_audited_with_address_and_app(api: Api) -> None:
    top, [member, leaving] = await team(api, "member", "member")
    app = (await api.client.get("/api/v1/apps/verify_credentials", headers={
        "Authorization": f"Bearer {await api.app_token()}"})).json()
    domain = (await api.client.get(NETWORK, headers=top.headers)).json()["domain"]
    r = await api.client.patch(NETWORK, headers=top.headers,
                               json={"name": "Acme", "invitation_only": True})
    assert r.status_code == 200
    await api.allow_password_grant(top)
    r = await api.client.post(f"{NETWORK}/invitations", headers=top.headers,
                              json={"email": "friend@partner.test"})
    code = r.json()["invite_code"]
    assert (await set_role(api, top, member, "moderator")).status_code == 200
    assert (await deactivate(api, top, leaving)).status_code == 200

    log = (await api.client.get(AUDIT, headers=top.headers)).json()
    # The operator made the network (`hubbub network create`): its entries come first.
    made, log = log[-2:], log[:-2]
    assert [(e["action"], e["actor"]) for e in made] == [
        ("domain.claimed", {"kind": "operator"}), ("network.created", {"kind": "operator"})]
    assert [e["action"] for e in log] == [
        "account.deactivated", "account.role_changed", "invitation.created",
        "network.password_grant_apps_changed", "network.updated"]
    assert [int(e["id"]) for e in log] == sorted((int(e["id"]) for e in log), reverse=True)
    for entry in log:
        assert entry["actor"]["id"] == top.id, entry
        assert entry["ip"] == "127.0.0.1"
        assert entry["app"] == {"id": app["id"], "name": "tests"}
        assert entry["created_at"].endswith("Z")
    deactivated, promoted, invited, apps, updated = log
    assert deactivated["target"]["id"] == leaving.id
    assert deactivated["details"] == {"role": "member"}
    assert promoted["target"]["id"] == member.id
    assert promoted["target"]["hubbub"]["role"] == "moderator"
    assert promoted["details"] == {"old_role": "member", "new_role": "moderator"}
    assert invited["target"] is None and invited["details"]["email"] == "friend@partner.test"
    assert code not in json.dumps(log)  # never the code: the log must not let anyone join
    assert apps["details"] == {"old": [], "new": [(await api.app())["client_id"]]}
    assert updated["target"] is None
    assert updated["details"] == {"name": {"old": domain, "new": "Acme"},
                                  "invitation_only": {"old": False, "new": True}}
    # Another network's log holds none of it: only its own making.
    elsewhere, _ = await team(api)
    theirs = (await api.client.get(AUDIT, headers=elsewhere.headers)).json()
    assert [e["action"] for e in theirs] == ["domain.claimed", "network.created"]


async def test_the_audit_log_pages_newest_first_with_link(api: Api) -> None:
    top, [member] = await team(api, "member")
    for role in ("guest", "member", "moderator", "member", "guest"):
        assert (await set_role(api, top, member, role)).status_code == 200
    every = [e for e in await entries(api, top) if e["action"] == "account.role_changed"]
    assert [e["details"]["new_role"] for e in every] == [
        "guest", "member", "moderator", "member", "guest"]
    ids = [e["id"] for e in every]
    r = await api.client.get(AUDIT, headers=top.headers, params={"limit": 2})
    assert [e["id"] for e in r.json()] == ids[:2]
    next_url = r.headers["link"].split(";")[0].strip("<>")
    assert f"max_id={ids[1]}" in next_url
    r = await api.client.get(next_url, headers=top.headers)
    assert [e["id"] for e in r.json()] == ids[2:4]
    assert [e["id"] for e in await entries(api, top, since_id=ids[2])] == ids[:2]
    assert [e["id"] for e in await entries(api, top, min_id=ids[4], limit=2)] == ids[2:4]
    assert [e["id"] for e in await entries(api, top, max_id=ids[0], limit=1)] == ids[1:2]
    r = await api.client.get(AUDIT, headers=top.headers, params={"limit": "many"})
    assert r.status_code == 422
    # A cursor that is not an id names nothing: ignored, as on every paged route.
    assert [e["id"] for e in await entries(api, top, max_id="x")] == ids


async def test_the_audit_log_is_for_owners_and_admins_with_admin_read(api: Api) -> None:
    top, [moderator, member, guest] = await team(api, "moderator", "member", "guest")
    for user in (moderator, member, guest):
        r = await api.client.get(AUDIT, headers=user.headers)
        assert r.status_code == 403, r.text
        assert r.json() != OUTSIDE
    assert (await api.client.get(AUDIT)).status_code == 401
    await api.allow_password_grant(top)
    for scope in ("read", "write", "admin:write", "admin:read:accounts"):
        r = await api.client.get(AUDIT, headers=await token_with(api, top, scope))
        assert (r.status_code, r.json()) == (403, OUTSIDE), scope
    r = await api.client.get(AUDIT, headers=await token_with(api, top, "admin:read"))
    assert r.status_code == 200 and r.json()[0]["action"] == "network.password_grant_apps_changed"
    for scope in ("write", "admin:read", "write:accounts"):
        r = await api.client.patch(f"{NETWORK}/members/{member.id}", json={"role": "guest"},
                                   headers=await token_with(api, top, scope))
        assert (r.status_code, r.json()) == (403, OUTSIDE), scope
    for scope in ("admin:write", "admin:write:accounts"):
        r = await api.client.patch(f"{NETWORK}/members/{member.id}", json={"role": "guest"},
                                   headers=await token_with(api, top, scope))
        assert r.status_code == 200, (scope, r.text)
