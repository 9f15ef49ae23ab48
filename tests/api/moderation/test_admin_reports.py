"""Mastodon's admin API for reports: the Admin::Report entity, its list's filters, the
lifecycle (assign to self, unassign, resolve, reopen; an action with ``report_id`` resolves
it), the audit log; members 403, another network's report 404, missing scopes 403."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import Api, User
from tests.helpers.moderation import (
    ADMIN_REPORTS,
    NOT_FOUND,
    OUTSIDE,
    act,
    audit_actions,
    report,
    team,
    token_with,
)


async def filed(api: Api, reporter: User, target: User, **fields: Any) -> str:
    r = await report(api, reporter, target, **fields)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def reports(api: Api, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    r = await api.client.get(ADMIN_REPORTS, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return list(r.json())


async def change(api: Api, user: User, report_id: str, action: str,
                 headers: dict[str, str] | None = None) -> httpx.Response:
    return await api.client.post(f"{ADMIN_REPORTS}/{report_id}/{action}",
                                 headers=headers or user.headers)


async def test_a_moderator_reads_a_report_as_mastodons_admin_report(api: Api) -> None:
    _, [moderator, reporter, target] = await team(api, "moderator", "member", "member")
    status = await api.post(target, "rude words")
    report_id = await filed(api, reporter, target, status_ids=[status["id"]],
                            comment="rude", category="violation")
    r = await api.client.get(f"{ADMIN_REPORTS}/{report_id}", headers=moderator.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == report_id and body["category"] == "violation"
    assert body["comment"] == "rude" and body["action_taken"] is False
    assert body["account"]["id"] == reporter.id and body["account"]["email"] == reporter.email
    assert body["target_account"]["id"] == target.id
    assert body["target_account"]["account"]["username"] == target.username
    assert body["assigned_account"] is None and body["action_taken_by_account"] is None
    assert [s["id"] for s in body["statuses"]] == [status["id"]]
    assert body["rules"] == [] and body["forwarded"] is False
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")


async def test_the_lifecycle_and_its_audit_log(api: Api) -> None:
    owner, [moderator, reporter, target] = await team(api, "moderator", "member", "member")
    report_id = await filed(api, reporter, target)
    r = await change(api, moderator, report_id, "assign_to_self")
    assert r.status_code == 200, r.text
    assert r.json()["assigned_account"]["id"] == moderator.id
    r = await change(api, moderator, report_id, "unassign")
    assert r.status_code == 200 and r.json()["assigned_account"] is None
    r = await change(api, moderator, report_id, "resolve")
    assert r.status_code == 200, r.text
    assert r.json()["action_taken"] is True and r.json()["action_taken_at"].endswith("Z")
    assert r.json()["action_taken_by_account"]["id"] == moderator.id
    assert [x["id"] for x in await reports(api, moderator.headers, resolved="true")
            ] == [report_id]
    assert await reports(api, moderator.headers) == []  # unresolved ones by default
    r = await change(api, moderator, report_id, "reopen")
    assert r.status_code == 200, r.text
    assert r.json()["action_taken"] is False and r.json()["action_taken_by_account"] is None
    logged = await audit_actions(api, owner)
    for name in ("report.assigned", "report.unassigned", "report.resolved", "report.reopened"):
        assert name in logged, name
    assert (await change(api, moderator, report_id, "escalate")).status_code == 404


async def test_the_list_filters(api: Api) -> None:
    _, [moderator, ana, bob, eve] = await team(api, "moderator", "member", "member", "member")
    on_eve = await filed(api, ana, eve)
    on_bob = await filed(api, ana, bob)
    by_bob = await filed(api, bob, eve)
    everything = await reports(api, moderator.headers)
    assert [x["id"] for x in everything] == [by_bob, on_bob, on_eve]  # newest first
    assert [x["id"] for x in await reports(api, moderator.headers, account_id=ana.id)
            ] == [on_bob, on_eve]
    assert [x["id"] for x in await reports(api, moderator.headers, target_account_id=eve.id)
            ] == [by_bob, on_eve]
    assert await reports(api, moderator.headers, resolved="true") == []
    page = await api.client.get(ADMIN_REPORTS, headers=moderator.headers, params={"limit": 1})
    assert [x["id"] for x in page.json()] == [by_bob] and "max_id=" in page.headers["link"]
    bad = await api.client.get(ADMIN_REPORTS, headers=moderator.headers,
                               params={"account_id": "abc"})
    assert bad.status_code == 422


async def test_an_action_with_a_report_resolves_it(api: Api) -> None:
    owner, [moderator, reporter, target, other] = await team(
        api, "moderator", "member", "member", "member")
    report_id = await filed(api, reporter, target)
    r = await act(api, moderator, target, type="silence", report_id=report_id)
    assert r.status_code == 200, r.text
    r = await api.client.get(f"{ADMIN_REPORTS}/{report_id}", headers=moderator.headers)
    assert r.json()["action_taken"] is True
    assert r.json()["target_account"]["silenced"] is True
    # A report about someone else is not this action's: 422.
    another = await filed(api, reporter, other)
    r = await act(api, moderator, target, type="none", report_id=another)
    assert r.status_code == 422, r.text
    assert "report.resolved" in await audit_actions(api, owner)


async def test_members_are_refused_and_other_networks_unknown(api: Api) -> None:
    _, [member, target] = await team(api, "member", "member")
    report_id = await filed(api, member, target)
    r = await api.client.get(ADMIN_REPORTS, headers=member.headers)
    assert r.status_code == 403
    r = await api.client.get(f"{ADMIN_REPORTS}/{report_id}", headers=member.headers)
    assert r.status_code == 403
    assert (await change(api, member, report_id, "resolve")).status_code == 403
    stranger, _ = await team(api)
    r = await api.client.get(f"{ADMIN_REPORTS}/{report_id}", headers=stranger.headers)
    assert r.status_code == 404 and r.json() == NOT_FOUND
    assert (await change(api, stranger, report_id, "resolve")).status_code == 404
    assert await reports(api, stranger.headers) == []
    r = await act(api, stranger, target, type="none", report_id=report_id)
    assert r.status_code == 404
    assert (await change(api, stranger, "nope", "resolve")).status_code == 404


async def test_admin_report_scopes_are_needed(api: Api) -> None:
    owner, [reporter, target] = await team(api, "member", "member")
    report_id = await filed(api, reporter, target)
    accounts_only = await token_with(api, owner, owner, "admin:read:accounts")
    r = await api.client.get(ADMIN_REPORTS, headers=accounts_only)
    assert r.status_code == 403 and r.json() == OUTSIDE
    reads = await token_with(api, owner, owner, "admin:read:reports")
    assert (await api.client.get(ADMIN_REPORTS, headers=reads)).status_code == 200
    r = await change(api, owner, report_id, "resolve", headers=reads)
    assert r.status_code == 403 and r.json() == OUTSIDE
    writes = await token_with(api, owner, owner, "admin:write:reports")
    assert (await change(api, owner, report_id, "resolve", headers=writes)).status_code == 200
