"""Timelines stay listpacks in the embedded Valkey at their full size (shared/timelines/compact.py):
through the real writer, merges included, and fanout's check at start says so."""

from __future__ import annotations

import logging
import time

import pytest

from shared.ids import id_at, member
from shared.records import LAST_READ_KEY, TIMELINES, home_key
from shared.settings import Settings
from shared.timelines import compact
from shared.timelines.scripts import trims
from shared.timelines.writes import TimelineWriter
from tests.helpers import Api


async def test_a_full_home_timeline_stays_a_listpack(api: Api, settings: Settings) -> None:
    r = api.stack.admin_redis
    cap = settings.home_timeline_max
    assert cap > 128  # Valkey's default limit: the test means something
    writer = TimelineWriter(r, cap)
    reader = 10**17 + 900
    await r.zadd(LAST_READ_KEY, {reader: int(time.time())})
    key = home_key(reader)
    await r.delete(key)
    first = id_at(1_780_000_000_000)
    # A rebuild's merge into an empty timeline, then another as big into the full one (a follow
    # of someone with as many recent statuses): trimmed as it goes, never past the limit.
    await writer.merge(key, [first + n for n in range(cap)])
    await writer.merge(key, [first + cap + n for n in range(cap)])
    assert await r.zcard(key) == cap
    assert await r.object("encoding", key) == b"listpack"
    # Then live fanout, trimming one write in TRIM_EVERY: past the cap in between.
    later = [first + 2 * cap + n for n in range(300)]
    assert sum(trims(i) for i in later) > 0
    for status_id in later:
        assert await writer.deliver([reader], status_id) == 1
    size = await r.zcard(key)
    assert cap <= size <= compact.listpack_entries(cap)
    assert await r.object("encoding", key) == b"listpack"
    assert await r.zrange(key, 0, 0) == [member(later[-1]).encode()]  # the newest first
    # ~12 bytes an entry (a reversed id stored as an int64, and score 0), against ~75 as a
    # skiplist and ~24 with the old zero-padded members.
    assert await r.memory_usage(key, samples=0) / size < 12.5
    await r.delete(key)
    await r.zrem(LAST_READ_KEY, reader)


async def test_fanouts_check_at_start(api: Api, settings: Settings,
                                      caplog: pytest.LogCaptureFixture) -> None:
    r = api.stack.admin_redis
    assert await compact.timelines_stay_compact(r, settings.home_timeline_max)
    # A cap beyond what the server was started for: the warning names the setting and figure.
    cap = 4 * settings.home_timeline_max
    with caplog.at_level(logging.WARNING, logger=compact.__name__):
        assert not await compact.timelines_stay_compact(r, cap)
    assert f"{compact.SETTING} to {compact.listpack_entries(cap)}" in caplog.text
    assert not await r.keys(f"{TIMELINES}{{compact-check}}*")  # the scratch set is gone
