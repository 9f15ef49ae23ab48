"""Notifications: follow and mention, never twice, filtered and paginated."""

from __future__ import annotations

import nats

from shared import events, subjects
from shared.nats_users import operator_url
from tests.helpers import Api


async def notes(api: Api, user, **params) -> list[dict]:
    r = await api.client.get("/api/v1/notifications", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_follow_and_mention_notifications(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    await api.follow(bob, alice)
    status = await api.post(bob, f"hey @{alice.username}")
    await api.idle()
    got = await notes(api, alice)
    assert [n["type"] for n in got] == ["mention", "follow"]
    assert got[0]["status"]["id"] == status["id"]
    assert got[1]["account"]["username"] == bob.username
    assert [n["type"] for n in await notes(api, alice, **{"types[]": "follow"})] == ["follow"]
    assert [n["type"] for n in await notes(api, alice, **{"exclude_types[]": "follow"})] == [
        "mention"]
    from_bob = await notes(api, alice, account_id=bob.id)
    assert len(from_bob) == 2
    assert await notes(api, alice, account_id="12345") == []
    one = await api.client.get(f"/api/v1/notifications/{got[1]['id']}", headers=alice.headers)
    assert one.status_code == 200 and one.json()["type"] == "follow"
    other = await api.client.get(f"/api/v1/notifications/{got[1]['id']}", headers=bob.headers)
    assert other.status_code == 404


async def test_redelivered_follow_event_notifies_once(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    await api.follow(bob, alice)
    await api.idle()
    row = await api.stack.graph.pool.fetchrow(
        "SELECT subject, payload FROM outbox WHERE subject = $1 "
        "AND convert_from(payload, 'UTF8') LIKE '%' || $2 || '%'",
        subjects.event("graph.follow.created"), alice.id)
    event = events.decode(bytes(row["payload"]))
    nc = await nats.connect(operator_url(api.stack.settings))
    try:
        await nc.jetstream().publish(row["subject"], bytes(row["payload"]),
                                     headers={"Nats-Msg-Id": f"replay-{event.id}"})
    finally:
        await nc.close()
    await api.idle()
    assert [n["type"] for n in await notes(api, alice)] == ["follow"]


async def test_pagination_link_header(api: Api) -> None:
    target = await api.user()
    for _ in range(3):
        await api.follow(await api.user(), target)
    await api.idle()
    r = await api.client.get("/api/v1/notifications", headers=target.headers,
                             params={"limit": 2})
    page = r.json()
    assert len(page) == 2
    assert f"max_id={page[-1]['id']}" in r.headers["link"]
    rest = await notes(api, target, max_id=page[-1]["id"])
    assert len(rest) == 1
