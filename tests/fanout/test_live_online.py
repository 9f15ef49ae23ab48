"""Fanout asks who of a page's readers is online in either of two ways (everyone online, or
each reader), whichever costs less, on either client: all answer the same."""

from __future__ import annotations

import pytest

from services.fanout.live import FEW, LivePublisher
from shared import presence
from shared.fastredis import FastRedis
from shared.records import ONLINE_USERS_KEY, PRESENCE_TRACKED_KEY
from tests.helpers import Api


@pytest.mark.parametrize("lean", [False, True])
async def test_both_ways_find_the_same_readers_online(api: Api, lean: bool) -> None:
    r = api.stack.admin_redis  # arranges presence as gateways would
    fast = FastRedis(api.stack.fanout.settings.redis_url) if lean else None
    publisher = LivePublisher(api.stack.fanout.nc, api.stack.fanout.redis.main, fast)
    readers = list(range(10**12 + 500, 10**12 + 500 + 2 * FEW))
    here = readers[3::7]
    # Nobody else online: other tests' connections in this process may have left entries.
    await r.delete(ONLINE_USERS_KEY)
    try:
        await presence.mark_online(r, [readers[5]], ttl_s=-1)  # gone: its entry has expired
        await presence.mark_online(r, [*here, 10**12 + 1])  # and one not among the readers
        assert await publisher.online(readers) == here  # everyone online (fewer than readers)
        assert publisher._online_count == len(here) + 1
        publisher._online_count = 10**6  # as if many more were online: each reader is asked
        assert await publisher.online(readers) == here
        await r.delete(PRESENCE_TRACKED_KEY)  # no gateway tracks presence: everyone
        assert await publisher.online(readers) == readers
        publisher._online_count = 0
        assert await publisher.online(readers) == readers
        assert await publisher.online(readers[:FEW]) == readers[:FEW]  # a few: never asked
    finally:
        await r.delete(PRESENCE_TRACKED_KEY, ONLINE_USERS_KEY)
        if fast is not None:
            await fast.aclose()
