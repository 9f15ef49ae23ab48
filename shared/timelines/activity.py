"""Who counts as an active reader: home timelines are written only for them.

Each reader's last home read (Unix seconds) is a score in one sorted set (``LAST_READ_KEY``), set
by the gateway on every home read. Fanout writes a home timeline only when its reader's last read
is within the window (``inactive_days``; shared/timelines/batching.py checks it, in bulk); a
reader whose last read is older, or missing, is skipped, and the timeline is rebuilt from
Postgres on the next read (``needs_rebuild``; services/fanout/rebuild.py).

Missing is not "unknown, so write": readers who stopped reading long ago are dropped from the set
to keep it small (``forget_stale_reads``), so a missing read is the common case and cannot mean
"Redis lost it". It means "rebuild before trusting the timeline", which is as safe after a loss
(a flush, an eviction, a replica that missed writes) as for a reader back from holidays, because
of one invariant: **a recorded read within the window means the timeline holds every status
fanned out since the read was recorded**. Only two writes keep it:

- a rebuild records the reader (provisionally) *before* it reads Postgres
  (services/fanout/rebuild.py ``rebuilding_home``), so each status either was committed before
  that read (the rebuild has it) or was checked by fanout after the record (fanout wrote it);
- a home read refreshes a recorded read and never creates one (``refresh_read``): a read that
  found the reader active while a flush wiped the timeline and the record under it must not
  bring the record back over an empty timeline.
"""

from __future__ import annotations

import time

import redis.asyncio as redis

from shared.records import LAST_READ_KEY

DAY_S = 86400


async def mark_read(r: redis.Redis, account_id: int, at: float | None = None) -> None:
    """Record a home read (at ``at``, Unix seconds; now by default), for a rebuilt timeline
    only (see the invariant above). Never lowers a later recorded read (GT): a rebuild's
    provisional record must not make a reader whose timeline is current look stale."""
    at = time.time() if at is None else at
    # (the member is the id's decimal, as redis-py encodes an int)
    await r.zadd(LAST_READ_KEY, {str(account_id): int(at)}, gt=True)


async def refresh_read(r: redis.Redis, account_id: int, at: float | None = None) -> None:
    """Record a home read of a reader whose read is recorded already (XX): the gateway's, on
    a timeline it found current. A record lost meanwhile stays lost, so the next read rebuilds
    (the invariant above)."""
    at = time.time() if at is None else at
    await r.zadd(LAST_READ_KEY, {str(account_id): int(at)}, xx=True, gt=True)


async def forget_stale_reads(r: redis.Redis, inactive_days: float) -> int:
    """Drop reads older than the window from the set (they count as none: keeps it small)."""
    return await r.zremrangebyscore(LAST_READ_KEY, "-inf",
                                    f"({int(time.time() - inactive_days * DAY_S)}")


def needs_rebuild(last_read: int | None, inactive_days: float, now: float | None = None) -> bool:
    """A reader with no recent read has been skipped by fanout: the timeline is incomplete."""
    now = time.time() if now is None else now
    return last_read is None or last_read < now - inactive_days * DAY_S
