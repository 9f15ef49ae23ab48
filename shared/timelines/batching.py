"""Timeline writes of many events, batched into few script calls.

Most statuses reach a few hundred timelines, and a script call each was most of Redis's work on
them; a follower list of 40,000 is several calls. ``TimelineWrites`` cuts every event's writes
into pieces (``Piece``) and packs the pieces of all the events in flight into calls of about
``BATCH`` timelines, taken from the waiting events in turn, sent by a few lanes at once.

Home timelines are written only for active readers (shared/timelines/activity.py): each call's
readers are checked first with one plain ZMSCORE on the last-read set (``write_batch``), skipping
those already known to be active (``ActiveReaders``).
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any, TypeVar, cast

import msgspec
import redis.asyncio as redis
from redis.commands.core import AsyncScript
from redis.crc import key_slot

from shared.cache import CacheClient, is_cluster
from shared.fastredis import FastRedis, LeanScript
from shared.records import LAST_READ_KEY, TIMELINES
from shared.timelines.scripts import ADD_GROUPS, trims

BATCH = 2000  # timelines per script call: big enough to amortize, small enough not to stall Redis
LANES = 4  # TimelineWrites' calls in flight: Redis always has the next call queued

T = TypeVar("T")


def chunks(items: list[T], size: int) -> list[list[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class Piece(msgspec.Struct, array_like=True):
    """A share of one call of ``write_batch``: ``value`` enters the timelines ``keys`` whatever,
    and the home timelines of ``readers`` whose last read is at or after the cutoff."""

    value: str
    keys: list[str]
    readers: list[int]

    def __len__(self) -> int:
        return len(self.keys) + len(self.readers)


class ActiveReaders:
    """Readers known to have read recently: the activity check asks Redis only about the others.
    (Measured in the fanout benchmark: the check cost Redis ~0.9 us a write of its ~12, and
    fanout the packing of every id and the parsing of every score.)

    Safe to trust: a home read sets the last read to now, so a reader seen reading at L is
    active until L + the window. One kept here read at least ``margin_s`` before the end of the
    window, and all are forgotten every ``margin_s``: none is kept past its window. Only
    activity is kept, never inactivity: an inactive reader may read at any moment, and skipping
    one who did would leave a hole in a timeline that no rebuild fills. (A failed rebuild drops
    the reader's last read to force another: until forgotten here, such a reader still gets
    writes, which the next rebuild keeps anyway.)"""

    def __init__(self, margin_s: float = 3600.0, limit: int = 300_000) -> None:
        self.margin_s = margin_s
        self.limit = limit  # ~150 bytes each; past it, all are forgotten and asked for again
        # Reader -> its home key (built once: formatting keys was a tenth of fanout's time).
        # Replaced, never emptied in place: a call in flight keeps the one it looked at.
        self.keys: dict[int, str] = {}
        self._since = time.time()

    def known(self) -> dict[int, str]:
        if time.time() - self._since > self.margin_s or len(self.keys) > self.limit:
            self.keys = {}
            self._since = time.time()
        return self.keys

    def learn(self, readers: list[int], seen: list[float | None], cutoff: int
              ) -> dict[int, str]:
        """The home keys of those of ``readers`` active now (their last reads ``seen``); keeps
        those that stay active past the margin."""
        active = {i: f"{TIMELINES}{{u{i}}}:home"  # home_key, inlined: the hot loop
                  for i, when in zip(readers, seen, strict=True)
                  if when is not None and when >= cutoff}
        lasting = cutoff + self.margin_s
        self.keys.update((i, active[i]) for i, when in zip(readers, seen, strict=True)
                         if when is not None and when >= lasting)
        return active


async def write_batch(r: CacheClient, script: AsyncScript | LeanScript, pieces: list[Piece],
                      cap: int, cutoff: int, active: ActiveReaders | None = None, *,
                      cluster: bool = False) -> list[int]:
    """One round of timeline writes: the activity check of the pieces' readers (one ZMSCORE,
    for those not known to be ``active``), then one ADD_GROUPS call for all the pieces; the
    count of new entries per piece. The benchmark's raw loop sends exactly these commands.
    ``cluster``: one call per hash slot instead (``_by_slot``)."""
    if active is None:
        active = ActiveReaders()  # this call's answers only
    known = active.known()
    # Each reader's home key if known to be active, else None (map: the loop runs in C, and
    # this is fanout's work per write).
    homes = [list(map(known.get, piece.readers)) for piece in pieces]
    unknown = [i for piece, found in zip(pieces, homes, strict=True) if None in found
               for i, home in zip(piece.readers, found, strict=True) if home is None]
    if unknown:
        # redis-py types members as str; ints are encoded as their decimal all the same
        # (fanout's hot loop: no conversion)
        seen = await r.zmscore(LAST_READ_KEY, unknown)  # type: ignore[arg-type,unused-ignore]
        checked = active.learn(unknown, seen, cutoff)
        homes = [found if None not in found else
                 [h for i, home in zip(piece.readers, found, strict=True)
                  if (h := home or checked.get(i))]
                 for piece, found in zip(pieces, homes, strict=True)]
    keys: list[str] = []
    args: list[Any] = [cap]
    for piece, found in zip(pieces, homes, strict=True):
        start = len(keys)
        keys += piece.keys
        keys += cast(list[str], found)  # no None left: replaced above by the active ones
        args += (piece.value, len(keys) - start, trims(piece.value))
    if not keys:
        return [0] * len(pieces)
    if cluster:
        return await _by_slot(script, pieces, keys, args)
    written: list[int] = await script(keys=keys, args=args)
    return written


async def _by_slot(script: AsyncScript | LeanScript, pieces: list[Piece], keys: list[str],
                   args: list[Any]) -> list[int]:
    """``write_batch``'s one call cut into one per hash slot (on a cluster a script's keys must
    share a slot), sent together; each piece's counts summed back."""
    calls: dict[int, tuple[list[str], list[Any], list[int]]] = {}
    start = 0
    for index in range(len(pieces)):
        value, count, trim = args[1 + 3 * index: 4 + 3 * index]
        groups: dict[int, list[str]] = {}
        for key in keys[start:start + count]:
            groups.setdefault(key_slot(key.encode()), []).append(key)
        start += count
        for slot, group in groups.items():
            call_keys, call_args, owners = calls.setdefault(slot, ([], [args[0]], []))
            call_keys += group
            call_args += (value, len(group), trim)
            owners.append(index)
    results = await asyncio.gather(*(script(keys=k, args=a) for k, a, _ in calls.values()))
    written = [0] * len(pieces)
    for (_, _, owners), counts in zip(calls.values(), results, strict=True):
        for index, count in zip(owners, counts, strict=True):
            written[index] += int(count)
    return written


class _Job:
    """One caller's pieces, waiting their turn, and their outcomes."""

    __slots__ = ("pieces", "futures")

    def __init__(self, pieces: list[Piece]) -> None:
        loop = asyncio.get_running_loop()
        self.pieces = collections.deque(pieces)
        self.futures = collections.deque(loop.create_future() for _ in pieces)


class TimelineWrites:
    """Timeline writes of every event in flight, sent to Redis by a few lanes in calls of about
    ``batch`` timelines. Each call takes pieces from the waiting callers in turn (a follower
    list of 40,000 does not hold up a post to 40 behind it) and packs the small ones together
    (most statuses reach a few hundred timelines: one call each was most of Redis's work on
    them). Under light load a caller's writes go at once, alone."""

    def __init__(self, r: redis.Redis, cap: int, inactive_s: float, *, batch: int = BATCH,
                 lanes: int = LANES, lean: FastRedis | None = None,
                 cluster: bool | None = None) -> None:
        self.r = r
        self.cap = cap
        self.inactive_s = inactive_s
        self.batch = batch
        self.lanes = lanes
        # The script calls and the activity check on the lean client when given one: redis-py
        # spent ~0.2 ms of Python on each check (a tenth of fanout's CPU in the write bench).
        self._client: CacheClient = lean if lean is not None else r
        self._script = (LeanScript(lean, ADD_GROUPS) if lean is not None
                        else r.register_script(ADD_GROUPS))
        self.active = ActiveReaders()
        # (``cluster``: for a caller whose client wraps another, as tests do)
        self.cluster = is_cluster(lean if lean is not None else r) if cluster is None \
            else cluster
        self._waiting: collections.deque[_Job] = collections.deque()
        self._lanes: set[asyncio.Task[None]] = set()  # held: the loop keeps only weak refs

    async def write(self, value: str, keys: list[str], readers: list[int]) -> int:
        """Add ``value`` to the timelines ``keys``, and to the home timelines of ``readers``
        who read recently; how many entries are new."""
        pieces = [Piece(value, part, []) for part in chunks(keys, self.batch)]
        pieces += [Piece(value, [], part) for part in chunks(readers, self.batch)]
        if not pieces:
            return 0
        job = _Job(pieces)
        futures = list(job.futures)
        self._waiting.append(job)
        while len(self._lanes) < self.lanes and self._waiting:
            self._lanes.add(asyncio.create_task(self._lane()))
        results = await asyncio.gather(*futures, return_exceptions=True)
        counts: list[int] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            counts.append(result)
        return sum(counts)

    def _next_call(self) -> tuple[list[Piece], list[asyncio.Future[int]]]:
        """Pieces for one call, one from each waiting job in turn, up to ``batch`` timelines."""
        pieces: list[Piece] = []
        futures: list[asyncio.Future[int]] = []
        size = 0
        while self._waiting:
            job = self._waiting[0]
            if pieces and size + len(job.pieces[0]) > self.batch:
                break
            self._waiting.popleft()
            piece, future = job.pieces.popleft(), job.futures.popleft()
            if job.pieces:
                self._waiting.append(job)
            if future.done():  # its caller is gone (cancelled)
                continue
            pieces.append(piece)
            futures.append(future)
            size += len(piece)
        return pieces, futures

    async def _lane(self) -> None:
        try:
            while self._waiting:
                pieces, futures = self._next_call()
                if not pieces:
                    continue
                try:
                    written = await write_batch(self._client, self._script, pieces, self.cap,
                                                int(time.time() - self.inactive_s), self.active,
                                                cluster=self.cluster)
                except Exception as exc:
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for future, count in zip(futures, written, strict=True):
                    if not future.done():
                        future.set_result(count)
        finally:
            # At once, not in a done callback: a writer arriving meanwhile must see the lane
            # gone and start one, or its pieces would wait for no lane.
            self._lanes.discard(asyncio.current_task())
