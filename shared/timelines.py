"""Redis timelines: sorted sets of status ids, written by fanout and read by the gateway.

Ids are 64-bit and exceed float64's exact range, so members are fixed-width decimal strings
(``shared.ids.member``) with score 0: Redis then orders them lexicographically, which for equal
widths is numeric order, and ``BYLEX`` ranges give exact ``max_id``/``since_id``/``min_id``.
"""

from __future__ import annotations

import redis.asyncio as redis

from shared.ids import MEMBER_WIDTH, member

# Add one member to many timelines and trim each to its cap, in one round trip per batch.
ADD_AND_TRIM = """
local m = ARGV[1]
local keep = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 0, m)
  redis.call('ZREMRANGEBYRANK', key, 0, -(keep + 1))
end
return #KEYS
"""

# Merge many members into one timeline and trim it.
MERGE_AND_TRIM = """
local keep = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 0, ARGV[i])
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(keep + 1))
return #ARGV - 1
"""

BATCH = 2000  # keys per script call: big enough to amortize, small enough not to stall Redis


class TimelineWriter:
    def __init__(self, r: redis.Redis, cap: int) -> None:
        self.r = r
        self.cap = cap
        self._add = r.register_script(ADD_AND_TRIM)
        self._merge = r.register_script(MERGE_AND_TRIM)

    async def add(self, keys: list[str], status_id: int) -> int:
        written = 0
        value = member(status_id)
        for start in range(0, len(keys), BATCH):
            written += await self._add(keys=keys[start:start + BATCH], args=[value, self.cap])
        return written

    async def merge(self, key: str, status_ids: list[int]) -> int:
        if not status_ids:
            return 0
        return await self._merge(keys=[key], args=[self.cap, *(member(i) for i in status_ids)])

    async def remove(self, keys: list[str], status_ids: list[int]) -> None:
        if not status_ids or not keys:
            return
        values = [member(i) for i in status_ids]
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.zrem(key, *values)
        await pipe.execute()


async def page(
    r: redis.Redis, key: str, *, limit: int, max_id: int | None = None,
    since_id: int | None = None, min_id: int | None = None,
) -> list[int]:
    """Newest first, Mastodon's semantics: ``max_id`` and ``since_id`` are exclusive bounds;
    ``min_id`` returns the ``limit`` entries just above it (for paging forward)."""
    top = f"({member(max_id)}" if max_id is not None else "+"
    if min_id is not None:
        bottom = f"({member(min_id)}"
        found = await r.zrange(key, bottom, top, bylex=True, offset=0, num=limit)
        found.reverse()
    else:
        bottom = f"({member(since_id)}" if since_id is not None else "-"
        found = await r.zrange(key, top, bottom, desc=True, bylex=True, offset=0, num=limit)
    return [int(m) for m in found if len(m) == MEMBER_WIDTH]
