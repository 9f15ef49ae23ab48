"""Fanout: events become home timeline entries, once, however often they arrive."""

from __future__ import annotations

import nats

from shared import events, subjects
from shared.nats_users import operator_url
from shared.records import home_key
from tests.helpers import Api


async def home_ids(api: Api, user) -> list[str]:
    return [s["id"] for s in (await api.home(user)).json()]


async def test_redelivered_event_changes_nothing_twice(api: Api) -> None:
    author, follower = await api.user(), await api.user()
    await api.follow(follower, author)
    await api.idle()
    status = await api.post(author, "once only")
    await api.idle()
    key = home_key(int(follower.id))
    before = await api.stack.fanout.redis.main.zrange(key, 0, -1)

    # The same event again, as a redelivery would bring it (a new Nats-Msg-Id, so JetStream
    # does not drop it): the handler sees it twice.
    row = await api.stack.posts.pool.fetchrow(
        "SELECT subject, payload FROM outbox "
        "WHERE convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'",
        status["id"])
    event = events.decode(bytes(row["payload"]))
    nc = await nats.connect(operator_url(api.stack.settings))
    try:
        js = nc.jetstream()
        await js.publish(row["subject"], bytes(row["payload"]),
                         headers={"Nats-Msg-Id": f"replay-{event.id}"})
    finally:
        await nc.close()
    await api.idle()
    assert await api.stack.fanout.redis.main.zrange(key, 0, -1) == before
    assert await home_ids(api, follower) == [status["id"]]
    notes = (await api.client.get("/api/v1/notifications", headers=follower.headers)).json()
    assert notes == []  # no mention: and the replay made none either


async def test_handler_is_idempotent_when_called_directly(api: Api) -> None:
    author, follower = await api.user(), await api.user()
    await api.follow(follower, author)
    status = await api.post(author, "direct call")
    await api.idle()
    handlers = api.stack.fanout
    consumer = handlers._stoppables[0]
    event = events.StatusCreated(status_id=int(status["id"]), account_id=int(author.id),
                                 network_id=1, visibility="public")
    await consumer.handler(event)
    await consumer.handler(event)
    assert await home_ids(api, follower) == [status["id"]]


async def test_followers_get_it_others_do_not(api: Api) -> None:
    author, follower, stranger = await api.user(), await api.user(), await api.user()
    await api.follow(follower, author)
    status = await api.post(author, "hello followers")
    await api.idle()
    assert await home_ids(api, follower) == [status["id"]]
    assert await home_ids(api, author) == [status["id"]]
    assert await home_ids(api, stranger) == []


async def test_direct_goes_to_mentioned_only(api: Api) -> None:
    author, follower, friend = await api.user(), await api.user(), await api.user()
    await api.follow(follower, author)
    status = await api.post(author, f"@{friend.username} just you", visibility="direct")
    await api.idle()
    assert await home_ids(api, friend) == [status["id"]]
    assert await home_ids(api, follower) == []


async def test_follow_merges_recent_posts_and_unfollow_removes_them(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    older = await api.post(author, "before you followed")
    await api.post(author, "a secret", visibility="direct")
    await api.follow(reader, author)
    await api.idle()
    assert await home_ids(api, reader) == [older["id"]]
    await api.client.post(f"/api/v1/accounts/{author.id}/unfollow", headers=reader.headers)
    await api.idle()
    assert await home_ids(api, reader) == []


async def test_pagination_is_consistent_at_page_edges(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    posted = [(await api.post(author, f"post {i}"))["id"] for i in range(7)]
    await api.idle()
    newest_first = list(reversed(posted))
    first = await api.home(reader, limit=3)
    assert [s["id"] for s in first.json()] == newest_first[:3]
    second = await api.home(reader, limit=3, max_id=first.json()[-1]["id"])
    assert [s["id"] for s in second.json()] == newest_first[3:6]
    newer = await api.home(reader, limit=2, min_id=newest_first[3])
    assert [s["id"] for s in newer.json()] == newest_first[1:3]
    since = await api.home(reader, limit=2, since_id=newest_first[3])
    assert [s["id"] for s in since.json()] == newest_first[:2]
    assert subjects.live_user(1) == "hubbub.live.user.1"
