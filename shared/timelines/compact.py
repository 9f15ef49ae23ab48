"""Timelines kept compact in Valkey: the server setting that keeps them listpacks, computed in
one place for the embedded servers, the deploy configs and the check at fanout's start.

Valkey keeps a sorted set of at most ``zset-max-listpack-entries`` entries (128 by default) as
a listpack, one contiguous block: measured on Valkey 9.1, 12 bytes an entry for a timeline's
member (a reversed id, stored as an int64: shared/ids.py) and score 0, against ~75 as a
skiplist (800 entries: 9,648 bytes; the old zero-padded 20-digit members took 24 bytes an
entry, 19,248; MEMORY USAGE). A set that grows past the limit becomes a skiplist and stays one:
trimming it back never converts it (measured too). So the limit must hold the largest a
timeline ever gets, not only its cap: the cap plus the overrun of the trimming rule
(shared/timelines/scripts.py: past the cap by more than k entries with probability
(1 - 1/TRIM_EVERY)^k, for 512 about 5e-15 a trimming cycle) and of a merge (MERGE_AND_TRIM
trims every ``MERGE_STEP`` adds).

The price is Redis's time per write: a listpack ZADD scans the whole set for the member,
linear in the timeline's size, where a skiplist's is logarithmic (its place it finds at once:
the newest member is the smallest, at the listpack's head).
loadtests/fanout_bench.py measures both side by side (README: the fanout figures).
"""

from __future__ import annotations

import logging
import os

import redis.asyncio as redis
from redis.exceptions import RedisError

from shared.ids import member
from shared.records import TIMELINES

log = logging.getLogger(__name__)

TRIM_MARGIN = 512  # entries past the cap a timeline may reach (see above)
MERGE_STEP = 256  # a merge trims back to the cap every this many adds: within the margin
SETTING = "zset-max-listpack-entries"


def listpack_entries(cap: int) -> int:
    """The ``zset-max-listpack-entries`` that keeps timelines of ``cap`` entries listpacks."""
    return cap + TRIM_MARGIN


def server_args(cap: int) -> list[str]:
    """valkey-server's command-line options for timelines of ``cap`` entries."""
    return [f"--{SETTING}", str(listpack_entries(cap))]


def config_line(cap: int) -> str:
    """The same as a valkey.conf line."""
    return f"{SETTING} {listpack_entries(cap)}"


async def timelines_stay_compact(r: redis.Redis, cap: int) -> bool:
    """Whether the server keeps a sorted set of ``listpack_entries(cap)`` timeline members a
    listpack; if not, logs what to set. Asks by trying (a scratch set under ``tl:``, written
    and deleted): CONFIG is an admin command, which the services' users are denied and managed
    servers often disable."""
    key = f"{TIMELINES}{{compact-check}}:{os.getpid()}:{id(r)}"
    size = listpack_entries(cap)
    try:
        pipe = r.pipeline(transaction=False)
        pipe.delete(key)
        pipe.zadd(key, {member(n): 0 for n in range(size)})
        pipe.object("encoding", key)
        pipe.delete(key)
        _, _, encoding, _ = await pipe.execute()
    except RedisError as error:  # a check, never a reason not to start
        log.warning("could not check how Valkey encodes timelines: %s", error)
        return False
    if encoding in (b"listpack", "listpack"):
        return True
    log.warning(
        "Valkey keeps timelines of %d entries as %s, ~75 bytes an entry instead of ~12 as a "
        "listpack: set %s to %d or more on the server (HUBBUB_HOME_TIMELINE_MAX %d plus %d "
        "for the trimming's overrun; README: operations)",
        size, encoding.decode() if isinstance(encoding, bytes) else encoding, SETTING, size,
        cap, TRIM_MARGIN)
    return False
