"""Reporting an account (POST /api/v1/reports): Mastodon's Report entity, the statuses checked
to be the reported account's, nothing across networks."""

from __future__ import annotations

from tests.helpers import Api
from tests.helpers.moderation import NOT_FOUND, OUTSIDE, report, team, token_with


async def test_a_member_reports_an_account_with_its_statuses(api: Api) -> None:
    _, [reporter, target] = await team(api, "member", "member")
    first = await api.post(target, "buy cheap watches")
    second = await api.post(target, "buy more watches")
    r = await report(api, reporter, target, status_ids=[first["id"], second["id"]],
                     comment="spam again", category="spam", rule_ids=["1"], forward=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"].isdigit()
    assert body["action_taken"] is False and body["action_taken_at"] is None
    assert body["category"] == "spam" and body["comment"] == "spam again"
    assert body["forwarded"] is False  # no federation: forward is ignored
    assert body["rule_ids"] is None  # Hubbub has no rules
    assert body["status_ids"] == [first["id"], second["id"]]
    assert body["target_account"]["id"] == target.id
    assert body["created_at"].endswith("Z")


async def test_a_report_without_statuses_defaults_to_other(api: Api) -> None:
    _, [reporter, target] = await team(api, "member", "member")
    r = await report(api, reporter, target)
    assert r.status_code == 200, r.text
    assert r.json()["category"] == "other" and r.json()["status_ids"] is None


async def test_a_status_not_by_the_reported_account_is_a_422(api: Api) -> None:
    _, [reporter, target, other] = await team(api, "member", "member", "member")
    theirs = await api.post(other, "not the target's")
    r = await report(api, reporter, target, status_ids=[theirs["id"]])
    assert r.status_code == 422, r.text
    assert "status_ids" in r.json()["error"]
    unknown = await report(api, reporter, target, status_ids=["123456789"])
    assert unknown.status_code == 422, unknown.text
    not_an_id = await report(api, reporter, target, status_ids=["abc"])
    assert not_an_id.status_code == 422, not_an_id.text


async def test_a_private_status_the_reporter_cannot_see_is_a_422(api: Api) -> None:
    _, [reporter, target] = await team(api, "member", "member")
    hidden = await api.post(target, "followers only", visibility="private")
    r = await report(api, reporter, target, status_ids=[hidden["id"]])
    assert r.status_code == 422, r.text


async def test_wrong_values_are_422s(api: Api) -> None:
    _, [reporter, target] = await team(api, "member", "member")
    too_long = await report(api, reporter, target, comment="x" * 1001)
    assert too_long.status_code == 422, too_long.text
    assert "comment" in too_long.json()["error"]
    just_right = await report(api, reporter, target, comment="x" * 1000)
    assert just_right.status_code == 200, just_right.text
    bad_category = await report(api, reporter, target, category="rude")
    assert bad_category.status_code == 422, bad_category.text
    myself = await report(api, reporter, reporter)
    assert myself.status_code == 422, myself.text


async def test_an_unknown_or_other_networks_account_is_a_404(api: Api) -> None:
    _, [reporter] = await team(api, "member")
    _, [stranger] = await team(api, "member")
    unknown = await report(api, reporter, "123456789")
    assert unknown.status_code == 404, unknown.text
    assert unknown.json() == NOT_FOUND
    assert (await report(api, reporter, "nope")).status_code == 404
    other_network = await report(api, reporter, stranger)
    assert other_network.status_code == 404, other_network.text


async def test_reporting_needs_write_reports(api: Api) -> None:
    owner, [reporter, target] = await team(api, "member", "member")
    read_only = await token_with(api, owner, reporter, "read")
    r = await api.client.post("/api/v1/reports", headers=read_only,
                              json={"account_id": target.id})
    assert r.status_code == 403 and r.json() == OUTSIDE
    granular = await token_with(api, owner, reporter, "write:reports")
    r = await api.client.post("/api/v1/reports", headers=granular,
                              json={"account_id": target.id})
    assert r.status_code == 200, r.text
    anonymous = await api.client.post("/api/v1/reports", json={"account_id": target.id})
    assert anonymous.status_code == 401


async def test_numbers_and_forms_are_taken_too(api: Api) -> None:
    """Mastodon.py sends ids as it was given them (numbers), others a form."""
    _, [reporter, target] = await team(api, "member", "member")
    post = await api.post(target, "one")
    r = await api.client.post("/api/v1/reports", headers=reporter.headers,
                              json={"account_id": int(target.id), "status_ids": [int(post["id"])]})
    assert r.status_code == 200, r.text
    assert r.json()["status_ids"] == [post["id"]]
    r = await api.client.post("/api/v1/reports", headers=reporter.headers,
                              data={"account_id": target.id, "status_ids[]": post["id"],
                                    "comment": "by form"})
    assert r.status_code == 200, r.text
    assert r.json()["comment"] == "by form" and r.json()["status_ids"] == [post["id"]]
