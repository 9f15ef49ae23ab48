"""Presence: a streaming connection marks its user online (shared/presence) on whichever gateway
it is, fanout publishes live messages only for online users (their timelines are written all
the same), and a gateway that stops refreshing (killed) lets its users expire."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest
from websockets.asyncio.client import connect

from services.fanout import live as fanout_live
from services.gateway.streaming.presence import tracker_of
from shared import presence, subjects
from shared.contracts import live
from shared.nats_users import operator_url
from shared.presence import PresenceTracker
from shared.records import ONLINE_USERS_KEY
from tests.helpers import Api, second_gateway


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/api/v1/streaming?stream=user"


@pytest.fixture
def presence_filters_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fanout asks who is online however few the readers (by default it publishes to a
    handful of readers without asking)."""
    monkeypatch.setattr(fanout_live, "FEW", 0)


async def next_update(ws, timeout: float = 5.0) -> dict:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if event["event"] == "update":
            return json.loads(event["payload"])


async def online_among(api: Api, *user_ids: str) -> set[str]:
    found = await presence.online_among(api.stack.fanout.redis.main, [int(i) for i in user_ids])
    return {str(i) for i in found}


async def test_offline_reader_gets_no_live_message_but_the_timeline(
        api: Api, presence_filters_all) -> None:
    author, here, away = await api.user(), await api.user(), await api.user()
    for reader in (here, away):
        await api.follow(reader, author)
    await api.idle()
    nc = await nats.connect(operator_url(api.stack.settings))
    published: list[int] = []

    async def on(msg) -> None:
        published.extend(i for i in live.decode_batch(msg.data).user_ids if i == int(away.id))

    try:
        await nc.subscribe(subjects.live_users(), cb=on)
        await nc.flush()
        async with connect(ws_url(api.stack.base_url), additional_headers=here.headers,
                           proxy=None) as ws:
            assert await online_among(api, here.id, away.id) == {here.id}
            await asyncio.sleep(0.2)
            status = await api.post(author, "who is here?")
            assert (await next_update(ws))["id"] == status["id"]
            await api.idle()
        await asyncio.sleep(0.1)
        assert published == []  # nobody would deliver it: not published at all
        home = await api.home(away)
        assert status["id"] in [s["id"] for s in home.json()]
    finally:
        await nc.close()


async def test_readers_on_either_of_two_gateways_get_the_update(
        api: Api, presence_filters_all) -> None:
    author, first, second = await api.user(), await api.user(), await api.user()
    for reader in (first, second):
        await api.follow(reader, author)
    await api.idle()
    async with second_gateway(api.stack) as (other_url, _), \
            connect(ws_url(api.stack.base_url), additional_headers=first.headers,
                    proxy=None) as ws_first, \
            connect(ws_url(other_url), additional_headers=second.headers,
                    proxy=None) as ws_second:
        assert await online_among(api, first.id, second.id) == {first.id, second.id}
        await asyncio.sleep(0.2)
        status = await api.post(author, "to both gateways")
        for ws in (ws_first, ws_second):
            assert (await next_update(ws))["id"] == status["id"]


async def test_a_killed_gateways_users_expire_and_a_live_ones_stay(api: Api) -> None:
    stayer, victim = await api.user(), await api.user()
    redis = api.stack.fanout.redis.main
    async with second_gateway(api.stack) as (other_url, other_gw):
        # The other gateway refreshes every 0.2 s and its entries hold 1 s.
        other_gw.presence = PresenceTracker(other_gw.redis.main, refresh_s=0.2, ttl_s=1.0)
        other_gw.presence.run()
        async with connect(ws_url(api.stack.base_url), additional_headers=stayer.headers,
                           proxy=None), \
                connect(ws_url(other_url), additional_headers=victim.headers, proxy=None):
            await asyncio.sleep(1.5)  # past the TTL: refreshing keeps the victim online
            assert await online_among(api, stayer.id, victim.id) == {stayer.id, victim.id}
            await other_gw.presence.stop()  # killed: no refresh, no goodbye, socket still open
            await asyncio.sleep(1.5)
            await tracker_of(api.stack.gateway).refresh()  # (the 1 s gateway shortened the
            # tracked flag, which gateways sharing one TTL never do)
            assert await online_among(api, stayer.id, victim.id) == {stayer.id}
            assert int(victim.id) not in (await presence.online(redis) or [])


async def zadd_calls(redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_zadd", {}).get("calls", 0))


async def test_users_connecting_together_are_marked_in_one_round_trip(api: Api) -> None:
    redis = api.stack.admin_redis  # INFO commandstats is an admin's
    tracker = PresenceTracker(redis)
    user_ids = list(range(9_000_000_001, 9_000_000_051))
    before = await zadd_calls(redis)
    try:
        await asyncio.gather(*(tracker.connected(i) for i in user_ids))
        marked = await zadd_calls(redis) - before
        # Every connection returned with its user online...
        assert set(await presence.online_among(redis, user_ids)) == set(user_ids)
        # ...in one ZADD (two if the first went out before the others arrived), not 50.
        assert marked <= 2
        assert tracker.users == len(user_ids)
    finally:
        for i in user_ids:
            tracker.disconnected(i)
        await redis.zrem(ONLINE_USERS_KEY, *[str(i) for i in user_ids])
        await tracker.stop()
