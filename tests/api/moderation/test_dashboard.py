"""Mastodon's admin dashboard for a network: measures, dimensions and retention over its own
people, posts and reports only; moderators and admins, not members; admin:read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.helpers import Api, User
from tests.helpers.moderation import OUTSIDE, report, team, token_with


def today() -> str:
    """Asked when a request is made, not at import: a run that crosses midnight UTC would
    otherwise ask for a day before the posts it just made."""
    return dt.datetime.now(dt.UTC).date().isoformat()


async def ask(api: Api, user: User, what: str, headers: dict[str, str] | None = None,
              **body: Any) -> Any:
    r = await api.client.post(f"/api/v1/admin/{what}", headers=headers or user.headers,
                              json={"start_at": today(), "end_at": today(), **body})
    return r


async def test_measures_count_the_networks_own(api: Api) -> None:
    owner, [moderator, ana, bob] = await team(api, "moderator", "member", "member")
    other_owner, [stranger] = await team(api, "member")
    first = await api.post(ana, "hello", language="de")
    await api.post(bob, "reply", in_reply_to_id=first["id"])
    await api.post(stranger, "elsewhere")
    r = await api.client.post(f"/api/v1/statuses/{first['id']}/favourite", headers=bob.headers)
    assert r.status_code == 200
    assert (await report(api, ana, bob)).status_code == 200
    await api.idle()
    day = today()
    r = await ask(api, moderator, "measures", start_at=day, end_at=day,
                  keys=["active_users", "new_users", "interactions", "opened_reports",
                        "resolved_reports", "tag_uses"])
    assert r.status_code == 200, r.text
    found = {m["key"]: m for m in r.json()}
    assert set(found) == {"active_users", "new_users", "interactions", "opened_reports",
                          "resolved_reports"}
    assert found["active_users"]["total"] == "2"  # ana and bob, not the stranger
    assert found["new_users"]["total"] == "4"
    assert found["interactions"]["total"] == "2"  # a reply and a favourite
    assert found["opened_reports"]["total"] == "1"
    assert found["resolved_reports"]["total"] == "0"
    assert found["active_users"]["data"] == [{"date": f"{day}T00:00:00Z", "value": "2"}]
    r = await ask(api, moderator, "dimensions", keys=["languages"])
    assert r.status_code == 200, r.text
    [languages] = r.json()
    assert {d["key"]: d["value"] for d in languages["data"]}["de"] == "1"
    r = await ask(api, owner, "retention", frequency="day")
    assert r.status_code == 200, r.text
    [cohort] = r.json()
    assert cohort["data"][0]["value"] == "4" and cohort["data"][0]["rate"] == 1.0
    assert other_owner.id != owner.id


async def test_the_dashboard_is_for_moderators_with_admin_read(api: Api) -> None:
    owner, [member] = await team(api, "member")
    assert (await ask(api, member, "measures", keys=["new_users"])).status_code == 403
    plain = await token_with(api, owner, owner, "read")
    r = await ask(api, owner, "measures", headers=plain, keys=["new_users"])
    assert r.status_code == 403 and r.json() == OUTSIDE
    granular = await token_with(api, owner, owner, "admin:read:accounts")
    r = await ask(api, owner, "measures", headers=granular, keys=["new_users"])
    assert r.status_code == 403  # admin:read itself, as Mastodon
    reads = await token_with(api, owner, owner, "admin:read")
    assert (await ask(api, owner, "measures", headers=reads, keys=["new_users"])
            ).status_code == 200
    for wrong in ({"start_at": "yesterday"}, {"start_at": today(), "end_at": "2000-01-01"}):
        r = await api.client.post("/api/v1/admin/measures", headers=owner.headers,
                                  json={"keys": ["new_users"], **wrong})
        assert r.status_code == 422, (wrong, r.text)
    r = await ask(api, owner, "retention", frequency="week")
    assert r.status_code == 422
