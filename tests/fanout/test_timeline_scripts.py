"""The timeline scripts' contracts with the key layout (their packing by hiredis: see
tests/unit/test_compat_redis_py.py)."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from shared import cache
from shared.fastredis import LeanScript
from shared.ids import id_at, member
from shared.records import LAST_READ_KEY, home_key, home_reblogs_key
from shared.timelines.batching import TimelineWrites
from shared.timelines.reads import Bounds, combine
from shared.timelines.scripts import ADD_GROUPS, TRIM_EVERY, trims
from shared.timelines.writes import TimelineWriter
from tests.helpers import Api, unique


def test_merged_pages_take_the_entries_nearest_the_bound() -> None:
    pages = [[9, 7, 5, 3], [8, 6, 4], [10, 1]]
    assert combine(pages, Bounds(limit=3)) == [10, 9, 8]
    assert combine([[4, 5, 6], [5, 7]], Bounds(limit=2, min_id=3)) == [5, 4]
    assert combine([], Bounds(limit=3)) == []


async def test_the_writer_inlines_home_keys_exactly() -> None:
    class Recorder:
        calls: list = []

        def register_script(self, text):
            async def run(keys, args):
                Recorder.calls.append(keys)
                return args[2::3]  # every group's timelines all take it
            return run

        async def zmscore(self, key, members):
            return [None if int(m) == 3 else 2e9 for m in members]  # 3 never read

    writer = TimelineWriter(Recorder(), cap=10)
    assert await writer.deliver([1, 252069115360350208, 3], 5, unchecked=1) == 2
    assert Recorder.calls[0] == [home_key(1), home_key(252069115360350208)]


async def test_writes_of_many_statuses_share_calls(api: Api) -> None:
    if api.stack.settings.redis_cluster:
        pytest.skip("counts one node's script calls; a cluster splits them per hash slot")
    r = api.stack.admin_redis
    prefix = unique("tw")
    readers = [10**17 + n for n in range(7)]
    await r.zadd(LAST_READ_KEY, {i: int(time.time()) for i in readers[:5]})  # 5, 6: inactive
    writes = TimelineWrites(r, cap=10, inactive_s=86400, batch=4, lanes=1)
    calls = []
    real_script = writes._script

    async def counting(keys, args):
        calls.append(len(keys))
        return await real_script(keys=keys, args=args)

    writes._script = counting
    own = [f"{prefix}:own:{n}" for n in range(3)]
    statuses = [member(10**17 + n) for n in range(5)]
    counts = await asyncio.gather(*(writes.write(value, own[:1], readers)
                                    for value in statuses))
    # Each status reaches its own timeline and the five active readers' homes.
    assert counts == [6] * 5
    assert all(size <= 4 for size in calls) and len(calls) < 5 * 3  # shared, within the batch
    for i in readers[:5]:
        assert await r.zrange(home_key(i), 0, -1) == [v.encode() for v in statuses[::-1]]
    assert not await r.exists(home_key(readers[5]))
    assert await writes.write(statuses[-1], own[:1], readers) == 0  # a redelivery: nothing new
    await r.delete(*own, *(home_key(i) for i in readers))
    await r.zrem(LAST_READ_KEY, *readers)


# Caps are a bound with slack (shared/timelines/scripts.py): the overrun past the cap is the run of
# writes since the last trimming one, geometric with mean TRIM_EVERY - 1. These ids are fixed
# (seeded), so the test is deterministic; the slack is where a random run of that length would
# be a one-in-4,000 event at any given write.
SLACK = 8 * TRIM_EVERY


async def test_caps_are_a_bound_and_trimming_writes_restore_them(api: Api) -> None:
    r = api.stack.admin_redis
    cap = 20
    rng = random.Random(4)
    ids = sorted(id_at(1_780_000_000_000) + rng.randrange(1 << 40) for _ in range(600))
    reader = 10**17 + 200
    await r.zadd(LAST_READ_KEY, {reader: int(time.time())})
    keys = [unique("tw:cap"), unique("tw:cap")]
    timelines = [*keys, home_key(reader)]
    writes = TimelineWrites(r, cap=cap, inactive_s=86400)
    largest, trimmed = 0, 0
    for n, status_id in enumerate(ids, 1):
        assert await writes.write(member(status_id), keys, [reader]) == 3
        sizes = {await r.zcard(key) for key in timelines}
        assert len(sizes) == 1  # every timeline a status enters is trimmed alike
        size = sizes.pop()
        assert size <= cap + SLACK
        largest = max(largest, size)
        if trims(status_id) and n >= cap:
            trimmed += 1
            # Exactly the cap, and the newest entries: the trim drops the oldest.
            assert await r.zrange(keys[0], 0, -1) == [member(i).encode()
                                                     for i in ids[n - cap:n][::-1]]
    assert largest > cap + TRIM_EVERY // 2 and trimmed > 600 // (2 * TRIM_EVERY)  # not exact
    # A redelivery of a trimming write adds nothing and leaves the bound alone.
    last_trimming = max(i for i in ids if trims(i))
    assert await writes.write(member(last_trimming), keys, [reader]) == 0
    await r.delete(*timelines)
    await r.zrem(LAST_READ_KEY, reader)


async def test_an_authors_entries_leave_the_overrun_too(api: Api) -> None:
    """An unfollow (mute, block, leaving a list or community) removes the author's newest
    ``cap`` statuses: older ones waiting past the cap for a trimming write must go as well."""
    r = api.stack.admin_redis
    writer = TimelineWriter(r, cap=3)
    key = unique("tw:overrun")
    others = [i for i in range(10**17, 10**17 + 100) if not trims(i)][:2]
    authors = [i for i in range(10**17 + 100, 10**17 + 1000) if not trims(i)][:10]
    for status_id in others + authors:  # none trims: 12 entries under a cap of 3
        await writer.add([key], status_id)
    assert await r.zcard(key) == 12
    assert await writer.remove_recent(key, authors[-3:]) == 3
    assert await r.zcard(key) == 0  # the trim took the rest (and the others, the oldest)
    await r.delete(key)


async def test_reblogs_trim_as_statuses_do(api: Api) -> None:
    r = api.stack.admin_redis
    writer = TimelineWriter(r, cap=3)
    reader = 10**17 + 300
    await r.zadd(LAST_READ_KEY, {reader: int(time.time())})
    await r.zadd(home_key(reader), {member(10**17 + n): 0 for n in range(5)})
    reblogs = range(10**17 + 100, 10**17 + 1000)
    plain = next(i for i in reblogs if not trims(i))
    trimming = next(i for i in reblogs if trims(i) and i > plain)
    assert await writer.deliver_reblog([reader], plain, 10**16 + 1) == [reader]
    assert await r.zcard(home_key(reader)) == 6
    assert await writer.deliver_reblog([reader], trimming, 10**16 + 2) == [reader]
    assert await r.zrange(home_key(reader), 0, -1) == [
        member(i).encode() for i in (trimming, plain, 10**17 + 4)]
    await r.delete(home_key(reader), home_reblogs_key(reader))
    await r.zrem(LAST_READ_KEY, reader)


async def test_readers_known_to_be_active_are_not_asked_about_again(api: Api) -> None:
    r = api.stack.admin_redis

    class Watching:  # the real Redis, noting whom the activity check asks about
        asked: list[list[int]] = []

        def register_script(self, text):
            return r.register_script(text)

        async def zmscore(self, key, members):
            Watching.asked.append(list(members))
            return await r.zmscore(key, members)

    readers = [10**17 + 100 + n for n in range(5)]
    now = int(time.time())
    window = 14 * 86400
    # 0 and 1 read just now, 2 a month ago, 3 never, 4 almost two weeks ago (active for one
    # more minute: within the margin, so it is asked about every time).
    await r.zadd(LAST_READ_KEY, {readers[0]: now, readers[1]: now, readers[2]: now - 2 * window,
                                 readers[4]: now - window + 60})
    writes = TimelineWrites(Watching(), cap=3, inactive_s=window, batch=10, lanes=1,
                            cluster=api.stack.settings.redis_cluster)
    assert await writes.write(member(10**17 + 1), [], readers) == 3
    assert Watching.asked == [readers]
    # 2 and 3 come back: they are asked about again, the active ones not.
    await r.zadd(LAST_READ_KEY, {readers[2]: now, readers[3]: now})
    assert await writes.write(member(10**17 + 2), [], readers) == 5
    assert Watching.asked[1:] == [readers[2:]]
    assert await writes.write(member(10**17 + 3), [], readers) == 5
    assert Watching.asked[2:] == [readers[4:]]
    assert [await r.zcard(home_key(i)) for i in readers] == [3, 3, 2, 2, 3]
    await r.delete(*(home_key(i) for i in readers))
    await r.zrem(LAST_READ_KEY, *readers)


async def test_a_failed_call_fails_its_writers_only(api: Api) -> None:
    writes = TimelineWrites(api.stack.admin_redis, cap=3, inactive_s=86400, batch=2, lanes=1)
    real_script = writes._script

    async def failing_once(keys, args):
        writes._script = real_script
        raise ConnectionError("lost")

    writes._script = failing_once
    key = unique("tw:fail")
    results = await asyncio.gather(writes.write(member(1), [key], []),
                                   writes.write(member(2), [key + "x", key + "y"], []),
                                   return_exceptions=True)
    # The first call carried the first piece alone (two would outgrow the batch of 2).
    assert isinstance(results[0], ConnectionError) and results[1] == 2
    await api.stack.admin_redis.delete(key, key + "x", key + "y")


async def test_lean_script_calls_load_the_script_when_redis_forgot_it(api: Api) -> None:
    r = api.stack.admin_redis
    lean = cache.lean_client(api.stack.settings)
    try:
        key = "{" + unique("tw:lean") + "}"  # key and key + "x" in one slot on a cluster
        script = LeanScript(lean, ADD_GROUPS)
        await r.script_flush()  # as after a restart: EVALSHA answers NOSCRIPT
        assert await script(keys=[key, key + "x"], args=[10, member(1), 2, 0]) == [2]
        assert await script(keys=[key], args=[10, member(1), 1, 0]) == [0]  # known now
        writes = TimelineWrites(r, cap=3, inactive_s=86400, lean=lean)
        assert await writes.write(member(2), [key], []) == 1
        assert await r.zrange(key, 0, -1) == [member(2).encode(), member(1).encode()]
        await r.delete(key, key + "x")
    finally:
        await lean.aclose()
