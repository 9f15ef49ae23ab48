"""Timelines left by an older encoding of their members (shared/records.py ``TIMELINES``): the
unversioned keys ``tl:{...}`` held zero-padded 20-digit ids. Nothing reads them any more.

Homes rebuild on their next read (the last-read set is versioned too, so every reader counts
as inactive once) and authors' own timelines with them; the public, tag, list and community
timelines have nothing that rebuilds them and would start empty, filling again as statuses
come. ``convert_old_timelines`` (``hubbub rebuild timelines``) carries those over, merged into
whatever the new keys hold already (fanout writes them meanwhile: a merge never loses an
entry), and drops every old key."""

from __future__ import annotations

from typing import cast

import redis.asyncio as redis

from shared.records import TIMELINES
from shared.timelines.writes import TimelineWriter

OLD_PREFIX = "tl:{"  # ``TIMELINES`` before it was versioned (TIMELINES is "tl:v2:")
OLD_LAST_READ_KEY = "tl:lastread"
OLD_MEMBER_WIDTH = 20  # zero-padded ids, oldest first


def carried_over(key: str) -> bool:
    """Whether an old key is a timeline that nothing rebuilds (its entries are carried over)."""
    kind = key.partition("}:")[2]
    return kind in ("public", "community") or kind.startswith(("tag:", "list:"))


async def convert_old_timelines(r: redis.Redis, cap: int) -> tuple[int, int]:
    """Carry the old public, tag, list and community timelines over to their new keys and drop
    every old timeline key; returns (timelines carried over, old keys dropped)."""
    writer = TimelineWriter(r, cap)
    carried = dropped = 0
    async for raw in r.scan_iter(match=OLD_PREFIX + "*", count=1000):
        key = raw.decode() if isinstance(raw, bytes) else raw
        if carried_over(key) and await r.type(key) in (b"zset", "zset"):
            # the newest ``cap``, at the tail there
            found = cast(list[bytes], await r.zrange(key, -cap, -1))
            ids = [int(m) for m in found if len(m) == OLD_MEMBER_WIDTH]
            await writer.merge(TIMELINES + key.removeprefix("tl:"), ids)
            carried += 1
        dropped += await r.delete(key)
    dropped += await r.delete(OLD_LAST_READ_KEY)
    return carried, dropped
