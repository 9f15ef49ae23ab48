"""The timeline scripts' contracts with the key layout and with hiredis packing."""

from __future__ import annotations

from shared.records import home_key
from shared.timelines import Bounds, HiredisPackedConnection, combine


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
                return len(keys) - 1
            return run

    from shared.timelines import TimelineWriter

    writer = TimelineWriter(Recorder(), cap=10)
    assert await writer.deliver([1, 252069115360350208], 5, unchecked=1) == 2
    assert Recorder.calls[0][:2] == [home_key(1), home_key(252069115360350208)]
