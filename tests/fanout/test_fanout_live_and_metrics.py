"""Live deliveries go only to users online when a gateway tracks presence (to everyone when
none does); fanout reports its duration per event type and every consumer's lag."""

from __future__ import annotations

import asyncio

import nats
import pytest
from prometheus_client import REGISTRY

from services.fanout import live as fanout_live
from services.fanout.lag import ConsumerLag
from services.fanout.live import FEW, LivePublisher
from shared import presence, subjects
from shared.contracts import live
from shared.nats_users import operator_url
from shared.records import ONLINE_USERS_KEY, PRESENCE_TRACKED_KEY
from tests.helpers import Api
from tests.helpers.timelines import lower_threshold


@pytest.fixture
async def tracker(api: Api):
    """A gateway that tracks presence, for one test (the shared Redis forgets it after)."""
    r = api.stack.gateway.redis.main  # presence is the gateway's to write
    tracking = presence.PresenceTracker(r)
    await tracking.start()
    try:
        yield tracking
    finally:
        await tracking.stop()
        await r.delete(PRESENCE_TRACKED_KEY, ONLINE_USERS_KEY)


async def listen(api: Api, account_ids: list[int]):
    """What each of these users is sent live, from fanout's batches (``hubbub.live.users``)."""
    nc = await nats.connect(operator_url(api.stack.settings))
    got: dict[int, list[live.LiveMessage]] = {i: [] for i in account_ids}
    batches: list[list[int]] = []

    async def on(msg) -> None:
        batch = live.decode_batch(msg.data)
        batches.append(batch.user_ids)
        for user_id in batch.user_ids:
            if user_id in got:
                got[user_id].append(batch.message())

    await nc.subscribe(subjects.live_users(), cb=on)
    await nc.flush()
    nc.batches = batches  # type: ignore[attr-defined]
    return nc, got


async def test_many_readers_are_named_in_few_messages(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout_live, "BATCH", 2)
    publisher = LivePublisher(api.stack.fanout.nc, api.stack.fanout.redis.main)
    readers = [10**12 + 100 + i for i in range(5)]
    nc, got = await listen(api, readers)
    try:
        await publisher.publish(readers, live.LiveMessage(event="update", status_id=7))
        await api.stack.fanout.nc.flush()
        await asyncio.sleep(0.1)
        assert nc.batches == [readers[0:2], readers[2:4], readers[4:5]]
        assert all(got[r] == [live.LiveMessage(event="update", status_id=7)] for r in readers)
    finally:
        await nc.close()


async def test_live_goes_to_online_users_only_when_presence_is_tracked(api: Api, tracker) -> None:
    publisher = LivePublisher(api.stack.fanout.nc, api.stack.fanout.redis.main)
    online, offline = 10**12 + 1, 10**12 + 2
    readers = [online, offline, *range(10**12 + 10, 10**12 + 10 + FEW)]
    nc, got = await listen(api, [online, offline])
    try:
        await tracker.connected(online)
        message = live.LiveMessage(event="update", status_id=1)
        await publisher.to_users(readers, message)
        await api.stack.fanout.nc.flush()
        await asyncio.sleep(0.1)
        assert (len(got[online]), len(got[offline])) == (1, 0)
        tracker.disconnected(online)
        await api.stack.admin_redis.delete(PRESENCE_TRACKED_KEY)  # no gateway tracks it now
        await publisher.to_users(readers, message)
        await api.stack.fanout.nc.flush()
        await asyncio.sleep(0.1)
        assert (len(got[online]), len(got[offline])) == (2, 1)
    finally:
        await nc.close()


async def test_a_big_authors_post_reaches_online_followers_live(
        api: Api, tracker, monkeypatch: pytest.MonkeyPatch) -> None:
    lower_threshold(api, monkeypatch)
    big, watching, away = [await api.user() for _ in range(3)]
    for follower in (watching, away):
        await api.follow(follower, big)
    await api.idle()
    await tracker.connected(int(watching.id))
    nc, got = await listen(api, [int(watching.id), int(away.id)])
    try:
        status = await api.post(big, "to the followers who are here")
        await api.idle()
        await asyncio.sleep(0.1)
        assert [m.status_id for m in got[int(watching.id)]] == [int(status["id"])]
        assert got[int(away.id)] == []
    finally:
        await nc.close()


async def test_fanout_duration_and_consumer_lag_are_measured(api: Api) -> None:
    author = await api.user()
    await api.post(author, "measure me")
    await api.idle()
    count = REGISTRY.get_sample_value("hubbub_fanout_seconds_count",
                                      {"type": "post.status.created"})
    assert count and count >= 1
    await ConsumerLag(api.stack.fanout.js).refresh()
    for consumer in ("fanout-home", "notify"):
        assert REGISTRY.get_sample_value("hubbub_consumer_pending_messages",
                                         {"consumer": consumer}) == 0
        assert REGISTRY.get_sample_value("hubbub_consumer_ack_pending_messages",
                                         {"consumer": consumer}) == 0
