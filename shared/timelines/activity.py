"""Who counts as an active reader: home timelines are written only for them.

Each reader's last home read (Unix seconds) is a score in one sorted set (``LAST_READ_KEY``), set
by the gateway on every home read. Fanout writes a home timeline only when its reader's last read
is within the window (``inactive_days``; shared/timelines/batching.py checks it, in bulk); a
reader whose last read is older, or missing, is skipped, and the timeline is rebuilt from
Postgres on the next read (``needs_rebuild``; services/fanout/rebuild.py).
"""

from __future__ import annotations

import time

import redis.asyncio as redis

from shared.records import LAST_READ_KEY

DAY_S = 86400


async def mark_read(r: redis.Redis, account_id: int, at: float | None = None, *,
                    only_new: bool = False) -> None:
    """Record a home read (at ``at``, Unix seconds; now by default)."""
    at = time.time() if at is None else at
    # (the member is the id's decimal, as redis-py encodes an int)
    await r.zadd(LAST_READ_KEY, {str(account_id): int(at)}, nx=only_new)


async def forget_stale_reads(r: redis.Redis, inactive_days: float) -> int:
    """Drop reads older than the window from the set (they count as none: keeps it small)."""
    return await r.zremrangebyscore(LAST_READ_KEY, "-inf",
                                    f"({int(time.time() - inactive_days * DAY_S)}")


def needs_rebuild(last_read: int | None, inactive_days: float, now: float | None = None) -> bool:
    """A reader with no recent read has been skipped by fanout: the timeline is incomplete."""
    now = time.time() if now is None else now
    return last_read is None or last_read < now - inactive_days * DAY_S
