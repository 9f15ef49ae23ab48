"""Scheduling statuses through the Mastodon API: POST /api/v1/statuses with scheduled_at answers
a ScheduledStatus and posts nothing yet; what a post would be refused for is refused now; the
time and the limits are Mastodon's; the author alone sees, moves and cancels its own."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import Api, User
from tests.helpers.oauth import scoped_headers
from tests.helpers.scheduled import (
    HOUR_S,
    iso_in,
    posted,
    schedule,
    scheduled_list,
    try_schedule,
)

DAY_S = 86_400
MAX_PER_DAY = 25  # Mastodon's


async def stored_count(api: Api, user: User) -> int:
    return len(await scheduled_list(api, user, limit=40))


def day_at(days_ahead: int, hour: int) -> str:
    """A time on the UTC day ``days_ahead`` from today."""
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days_ahead)
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


async def test_scheduled_status_is_answered_listed_and_not_posted(api: Api) -> None:
    author, follower = await api.user(), await api.user()
    await api.follow(follower, author)
    at = iso_in(2 * HOUR_S)
    r = await api.client.post("/api/v1/statuses", headers={**author.headers,
                                                           "Idempotency-Key": "k-1"}, json={
        "status": "later, friends", "scheduled_at": at, "visibility": "unlisted",
        "spoiler_text": "cw", "language": "en",
        "poll": {"options": ["yes", "no"], "expires_in": 600, "multiple": True}})
    assert r.status_code == 200, r.text
    scheduled = r.json()
    assert scheduled["scheduled_at"] == at
    assert scheduled["media_attachments"] == []
    params = scheduled["params"]
    assert params["text"] == "later, friends"
    assert params["visibility"] == "unlisted"
    # As sent: the post itself is marked sensitive by its warning.
    assert params["spoiler_text"] == "cw" and params["sensitive"] is False
    assert params["language"] == "en"
    assert params["poll"] == {"options": ["yes", "no"], "expires_in": "600", "multiple": True,
                              "hide_totals": False}
    assert params["idempotency"] == "k-1"
    assert isinstance(params["application_id"], int)
    assert params["in_reply_to_id"] is None and params["scheduled_at"] is None
    assert params["media_ids"] is None and params["with_rate_limit"] is False
    assert set(params) >= {"text", "poll", "media_ids", "sensitive", "spoiler_text",
                           "visibility", "scheduled_at", "in_reply_to_id", "language",
                           "idempotency", "application_id", "with_rate_limit"}

    assert await scheduled_list(api, author) == [scheduled]
    one = await api.client.get(f"/api/v1/scheduled_statuses/{scheduled['id']}",
                               headers=author.headers)
    assert one.status_code == 200 and one.json() == scheduled
    await api.idle()
    assert await posted(api, author) == []
    assert [s["id"] for s in (await api.home(follower)).json()] == []


async def test_form_encoded_request_schedules_too(api: Api) -> None:
    author = await api.user()
    at = iso_in(HOUR_S)
    r = await api.client.post("/api/v1/statuses", headers=author.headers, data={
        "status": "from a form", "scheduled_at": at, "poll[options][]": ["a", "b"],
        "poll[expires_in]": "300"})
    assert r.status_code == 200, r.text
    assert r.json()["scheduled_at"] == at
    assert r.json()["params"]["poll"]["options"] == ["a", "b"]


async def test_a_date_alone_is_midnight_utc(api: Api) -> None:
    author = await api.user()
    day = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat()
    scheduled = await schedule(api, author, "on the day", at=day)
    assert scheduled["scheduled_at"] == f"{day}T00:00:00.000Z"


async def test_same_idempotency_key_schedules_once(api: Api) -> None:
    author = await api.user()
    headers = {**author.headers, "Idempotency-Key": "once"}
    body = {"status": "just once", "scheduled_at": iso_in(HOUR_S)}
    first = await api.client.post("/api/v1/statuses", headers=headers, json=body)
    second = await api.client.post("/api/v1/statuses", headers=headers, json=body)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert await stored_count(api, author) == 1


@pytest.mark.parametrize("at, message", [
    (iso_in(-60), "at least 5 minutes in the future"),
    (iso_in(-10 * 365 * DAY_S), "at least 5 minutes in the future"),
    (iso_in(60), "at least 5 minutes in the future"),
    (iso_in(10 * 365 * DAY_S), "at most 2 years in the future"),
    ("tomorrow", "scheduled_at is not an ISO 8601 date and time"),
    ("2030-13-45T99:00:00Z", "scheduled_at is not an ISO 8601 date and time"),
], ids=["past", "long-past", "in-a-minute", "in-ten-years", "words", "no-such-date"])
async def test_refused_times_are_422_and_store_nothing(api: Api, at: str, message: str) -> None:
    author = await api.user()
    r = await try_schedule(api, author, "when?", at=at)
    assert r.status_code == 422, r.text
    assert message in r.json()["error"]
    assert "scheduled_at" in r.json()["error"]
    assert await stored_count(api, author) == 0
    assert await posted(api, author) == []


@pytest.mark.parametrize("fields", [
    {"status": ""},
    {"status": "x" * 501},
    {"status": "hi", "visibility": "everyone"},
    {"status": "q", "poll": {"options": ["only"], "expires_in": 600}},
    {"status": "q", "poll": {"options": ["a", "b"], "expires_in": 10}},
], ids=["blank", "too-long", "visibility", "one-option", "short-poll"])
async def test_what_a_post_refuses_is_refused_at_scheduling(api: Api, fields: dict) -> None:
    author = await api.user()
    r = await api.client.post("/api/v1/statuses", headers=author.headers,
                              json={"scheduled_at": iso_in(HOUR_S), **fields})
    assert r.status_code == 422, r.text
    assert await stored_count(api, author) == 0


async def test_reply_to_a_status_the_author_cannot_see_is_refused(api: Api) -> None:
    sender, recipient, outsider = await api.user(), await api.user(), await api.user()
    secret = await api.post(sender, f"@{recipient.username} between us", visibility="direct")
    r = await try_schedule(api, outsider, "butting in", in_reply_to_id=secret["id"])
    assert r.status_code == 404, r.text
    assert await stored_count(api, outsider) == 0
    # The one it was sent to may reply later.
    reply = await schedule(api, recipient, f"@{sender.username} later", visibility="direct",
                           in_reply_to_id=secret["id"])
    assert reply["params"]["in_reply_to_id"] == secret["id"]


async def test_unknown_parameters_are_ignored(api: Api) -> None:
    author = await api.user()
    scheduled = await schedule(api, author, "extras", return_detailed_error=True,
                               some_future_field={"x": 1})
    r = await api.client.put(f"/api/v1/scheduled_statuses/{scheduled['id']}",
                             headers=author.headers,
                             json={"scheduled_at": iso_in(3 * HOUR_S), "text": "not this"})
    assert r.status_code == 200, r.text
    assert r.json()["params"]["text"] == "extras"


async def test_at_most_25_on_one_day(api: Api) -> None:
    author = await api.user()
    for i in range(MAX_PER_DAY):
        await schedule(api, author, f"number {i}", at=day_at(5, 1 + i % 20))
    r = await try_schedule(api, author, "one too many", at=day_at(5, 23))
    assert r.status_code == 422, r.text
    assert f"limit of {MAX_PER_DAY} scheduled posts" in r.json()["error"]
    other_day = await schedule(api, author, "another day", at=day_at(6, 1))
    # Nor may one be moved onto the full day.
    r = await api.client.put(f"/api/v1/scheduled_statuses/{other_day['id']}",
                             headers=author.headers, json={"scheduled_at": day_at(5, 12)})
    assert r.status_code == 422, r.text
    # One already on that day may move within it.
    first = (await scheduled_list(api, author, limit=40))[-1]
    r = await api.client.put(f"/api/v1/scheduled_statuses/{first['id']}",
                             headers=author.headers, json={"scheduled_at": day_at(5, 22)})
    assert r.status_code == 200, r.text


async def test_reschedule_and_cancel(api: Api) -> None:
    author = await api.user()
    scheduled = await schedule(api, author, "move me")
    url = f"/api/v1/scheduled_statuses/{scheduled['id']}"
    later = iso_in(5 * HOUR_S)
    r = await api.client.put(url, headers=author.headers, json={"scheduled_at": later})
    assert r.status_code == 200, r.text
    assert r.json()["scheduled_at"] == later
    assert r.json()["params"] == scheduled["params"]
    r = await api.client.put(url, headers=author.headers, data={"scheduled_at": iso_in(60)})
    assert r.status_code == 422, r.text
    assert "at least 5 minutes in the future" in r.json()["error"]
    r = await api.client.put(url, headers=author.headers, json={"scheduled_at": "soon"})
    assert r.status_code == 422 and "scheduled_at" in r.json()["error"]
    r = await api.client.put(url, headers=author.headers,
                             json={"scheduled_at": iso_in(10 * 365 * DAY_S)})
    assert r.status_code == 422, r.text
    assert (await api.client.get(url, headers=author.headers)).json()["scheduled_at"] == later
    # Without a time, nothing changes.
    r = await api.client.put(url, headers=author.headers, json={})
    assert r.status_code == 200 and r.json()["scheduled_at"] == later

    r = await api.client.delete(url, headers=author.headers)
    assert (r.status_code, r.json()) == (200, {})
    assert (await api.client.get(url, headers=author.headers)).status_code == 404
    assert (await api.client.delete(url, headers=author.headers)).status_code == 404
    assert await scheduled_list(api, author) == []
    assert await posted(api, author) == []


async def test_another_accounts_scheduled_status_is_not_found(api: Api) -> None:
    author, other = await api.user(), await api.user()
    scheduled = await schedule(api, author, "mine")
    url = f"/api/v1/scheduled_statuses/{scheduled['id']}"
    assert (await api.client.get(url, headers=other.headers)).status_code == 404
    r = await api.client.put(url, headers=other.headers, json={"scheduled_at": iso_in(HOUR_S)})
    assert r.status_code == 404
    assert (await api.client.delete(url, headers=other.headers)).status_code == 404
    assert await scheduled_list(api, other) == []
    assert [s["id"] for s in await scheduled_list(api, author)] == [scheduled["id"]]
    for missing in ("999999999", "not-an-id"):
        r = await api.client.get(f"/api/v1/scheduled_statuses/{missing}", headers=author.headers)
        assert r.status_code == 404, missing


async def test_list_pages_newest_first_with_link(api: Api) -> None:
    author = await api.user()
    made = [await schedule(api, author, f"n{i}", at=iso_in(HOUR_S + i)) for i in range(3)]
    page = await api.client.get("/api/v1/scheduled_statuses", headers=author.headers,
                                params={"limit": 2})
    assert [s["id"] for s in page.json()] == [made[2]["id"], made[1]["id"]]
    assert f"max_id={made[1]['id']}" in page.headers["link"]
    rest = await scheduled_list(api, author, max_id=made[1]["id"])
    assert [s["id"] for s in rest] == [made[0]["id"]]
    newer = await scheduled_list(api, author, min_id=made[0]["id"], limit=1)
    assert [s["id"] for s in newer] == [made[1]["id"]]


async def test_no_token_is_401(api: Api) -> None:
    author = await api.user()
    scheduled = await schedule(api, author, "mine")
    url = f"/api/v1/scheduled_statuses/{scheduled['id']}"
    for r in (await api.client.get("/api/v1/scheduled_statuses"),
              await api.client.get(url),
              await api.client.put(url, json={"scheduled_at": iso_in(HOUR_S)}),
              await api.client.delete(url)):
        assert r.status_code == 401, (r.request.method, r.text)
    assert len(await scheduled_list(api, author)) == 1


async def test_wrong_scope_is_403(api: Api) -> None:
    author = await api.user()
    scheduled = await schedule(api, author, "mine")
    url = f"/api/v1/scheduled_statuses/{scheduled['id']}"
    reader = await scoped_headers(api, author, "read:statuses")
    writer = await scoped_headers(api, author, "write:statuses")
    refused = [
        await api.client.get("/api/v1/scheduled_statuses", headers=writer),
        await api.client.get(url, headers=writer),
        await api.client.put(url, headers=reader, json={"scheduled_at": iso_in(HOUR_S)}),
        await api.client.delete(url, headers=reader),
        await api.client.post("/api/v1/statuses", headers=reader,
                              json={"status": "x", "scheduled_at": iso_in(HOUR_S)}),
    ]
    for r in refused:
        assert r.status_code == 403, (r.request.method, r.request.url, r.text)
    assert (await api.client.get(url, headers=reader)).status_code == 200
    r = await api.client.put(url, headers=writer, json={"scheduled_at": iso_in(2 * HOUR_S)})
    assert r.status_code == 200, r.text
    assert len(await scheduled_list(api, author)) == 1
