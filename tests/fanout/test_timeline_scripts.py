"""The timeline scripts' contracts with the key layout and with hiredis packing."""

from __future__ import annotations

import asyncio
import time

from shared.ids import member
from shared.records import LAST_READ_KEY, home_key
from shared.timelines import Bounds, HiredisPackedConnection, TimelineWrites, combine
from tests.helpers import Api, unique


def test_commands_pack_as_redis_py_packs_them() -> None:
    from redis.asyncio.connection import Connection

    args = ("EVALSHA", "a" * 40, 2, "tl:{u1}:home", b"\x00bytes", memoryview(b"mv"), 1.5, 10**19)
    ours = b"".join(HiredisPackedConnection().pack_command(*args))
    assert ours == b"".join(Connection().pack_command(*args))


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
                return args[2::2]  # every group's timelines all take it
            return run

        async def zmscore(self, key, members):
            return [None if int(m) == 3 else 2e9 for m in members]  # 3 never read

    from shared.timelines import TimelineWriter

    writer = TimelineWriter(Recorder(), cap=10)
    assert await writer.deliver([1, 252069115360350208, 3], 5, unchecked=1) == 2
    assert Recorder.calls[0] == [home_key(1), home_key(252069115360350208)]


async def test_writes_of_many_statuses_share_calls_and_stay_exact(api: Api) -> None:
    r = api.stack.fanout.redis
    prefix = unique("tw")
    readers = [10**17 + n for n in range(7)]
    await r.zadd(LAST_READ_KEY, {i: int(time.time()) for i in readers[:5]})  # 5, 6: inactive
    writes = TimelineWrites(r, cap=3, inactive_s=86400, batch=4, lanes=1)
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
        assert await r.zrange(home_key(i), 0, -1) == [v.encode() for v in statuses[-3:]]  # capped
    assert not await r.exists(home_key(readers[5]))
    assert await writes.write(statuses[-1], own[:1], readers) == 0  # a redelivery: nothing new
    await r.delete(*own, *(home_key(i) for i in readers))
    await r.zrem(LAST_READ_KEY, *readers)


async def test_readers_known_to_be_active_are_not_asked_about_again(api: Api) -> None:
    r = api.stack.fanout.redis

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
    writes = TimelineWrites(Watching(), cap=3, inactive_s=window, batch=10, lanes=1)
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
    writes = TimelineWrites(api.stack.fanout.redis, cap=3, inactive_s=86400, batch=2, lanes=1)
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
    await api.stack.fanout.redis.delete(key, key + "x", key + "y")
