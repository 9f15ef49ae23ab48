"""The timeline operations fanout performs: adding a status to timelines (through the batched
writes of shared/timelines/batching.py), delivering a reblog deduplicated, merging, removing.

Each is idempotent (a redelivered event writes nothing new) and goes through the Lua scripts of
shared/timelines/scripts.py, a few calls in flight per event.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import redis.asyncio as redis

from shared.cache import by_slot, is_cluster
from shared.fastredis import FastRedis
from shared.ids import member
from shared.records import LAST_READ_KEY, home_key, home_reblogs_key
from shared.timelines.activity import DAY_S
from shared.timelines.batching import BATCH, TimelineWrites, chunks
from shared.timelines.compact import MERGE_STEP
from shared.timelines.scripts import (
    DELIVER_REBLOG,
    FORGET_REBLOG,
    MERGE_AND_TRIM,
    REMOVE,
    TRIM_AND_REMOVE,
    trims,
)

ScriptCall = Callable[[], Awaitable[Any]]

IN_FLIGHT = 3  # script calls of one event sent at once: Python builds one while Redis runs one
REBLOG_FALLOFF = 40  # Mastodon's window for reblog deduplication


class TimelineWriter:
    def __init__(self, r: redis.Redis, cap: int, inactive_days: float = 14.0, *,
                 lean: FastRedis | None = None) -> None:
        self.r = r
        self.cap = cap
        self.inactive_s = inactive_days * DAY_S
        self.writes = TimelineWrites(r, cap, self.inactive_s, lean=lean)
        self.cluster = is_cluster(r)
        self._deliver_reblog = r.register_script(DELIVER_REBLOG)
        self._merge = r.register_script(MERGE_AND_TRIM)
        self._remove = r.register_script(REMOVE)
        self._trim_and_remove = r.register_script(TRIM_AND_REMOVE)
        self._forget = r.register_script(FORGET_REBLOG)

    def cutoff(self) -> int:
        return int(time.time() - self.inactive_s)

    @staticmethod
    async def _batched(calls: Iterable[ScriptCall]) -> list[Any]:
        """Run script calls a few at a time (Python builds the next while Redis runs one);
        results in order of submission."""
        window = asyncio.Semaphore(IN_FLIGHT)

        async def one(call: ScriptCall) -> Any:
            async with window:
                return await call()

        return list(await asyncio.gather(*(one(call) for call in calls)))

    async def add(self, keys: list[str], status_id: int) -> int:
        """Timelines that take every entry (public, tag, community, list, own): no reader check."""
        return await self.writes.write(member(status_id), keys, [])

    async def deliver(self, readers: list[int], status_id: int, *, unchecked: int = 0) -> int:
        """Home timelines of the readers who read recently; the first ``unchecked`` readers get
        it whatever their activity (the author's own home)."""
        return await self.writes.write(member(status_id),
                                       [home_key(i) for i in readers[:unchecked]],
                                       readers[unchecked:])

    async def deliver_reblog(self, readers: list[int], reblog_id: int, original_id: int, *,
                             unchecked: int = 0) -> list[int]:
        """Like ``deliver``, deduplicated; returns the readers whose timeline got it."""
        args_tail = [self.cap, self.cutoff()]

        if self.cluster:
            return await self._deliver_reblog_by_slot(readers, reblog_id, original_id,
                                                      unchecked, args_tail)

        def call(batch: list[int], before: int) -> ScriptCall:
            keys = [home_key(i) for i in batch] + [home_reblogs_key(i) for i in batch]
            keys.append(LAST_READ_KEY)
            args: list[str | int] = [member(reblog_id), member(original_id), *args_tail,
                    max(0, unchecked - before), REBLOG_FALLOFF, trims(reblog_id), *batch]
            return lambda: self._deliver_reblog(keys=keys, args=args)

        batches = chunks(readers, BATCH)
        results = await self._batched(call(batch, n * BATCH) for n, batch in enumerate(batches))
        return [batch[i - 1] for batch, positions in zip(batches, results, strict=True)
                for i in positions]

    async def _deliver_reblog_by_slot(self, readers: list[int], reblog_id: int,
                                      original_id: int, unchecked: int, args_tail: list[int]
                                      ) -> list[int]:
        """``deliver_reblog`` on a cluster: the last-read set lives in another slot than the
        readers' timelines, so the activity check comes first (one ZMSCORE), then a call per
        slot with every reader counted as checked (the script's last-read key is then never
        read: the batch's first home stands in for it, to keep the call in one slot)."""
        rest = readers[unchecked:]
        seen = await self.r.zmscore(LAST_READ_KEY, rest) if rest else []  # type: ignore[arg-type]
        cutoff = self.cutoff()
        chosen = readers[:unchecked] + [i for i, when in zip(rest, seen, strict=True)
                                        if when is not None and when >= cutoff]
        batches = [batch for group in by_slot([home_key(i) for i in chosen])
                   for batch in chunks([chosen[p] for p in group], BATCH)]

        def call(batch: list[int]) -> ScriptCall:
            homes = [home_key(i) for i in batch]
            keys = homes + [home_reblogs_key(i) for i in batch] + [homes[0]]
            args: list[str | int] = [member(reblog_id), member(original_id), *args_tail,
                                     len(batch), REBLOG_FALLOFF, trims(reblog_id), *batch]
            return lambda: self._deliver_reblog(keys=keys, args=args)

        results = await self._batched(call(batch) for batch in batches)
        return [batch[i - 1] for batch, positions in zip(batches, results, strict=True)
                for i in positions]

    def _key_batches(self, keys: list[str]) -> list[list[str]]:
        """``keys`` in script calls of up to BATCH; on a cluster, each call's keys one slot's."""
        if not self.cluster:
            return chunks(keys, BATCH)
        return [batch for group in by_slot(keys)
                for batch in chunks([keys[p] for p in group], BATCH)]

    async def merge(self, key: str, status_ids: list[int]) -> int:
        if not status_ids:
            return 0
        written = 0
        for batch in chunks(status_ids, 1000):
            written += await self._merge(keys=[key],
                                         args=[self.cap, MERGE_STEP, *map(member, batch)])
        return written

    async def remove(self, keys: list[str], status_ids: list[int]) -> int:
        if not status_ids or not keys:
            return 0
        values = [member(i) for i in status_ids]
        return sum(await self._batched(
            functools.partial(self._remove, keys=batch, args=values)
            for batch in self._key_batches(keys)))

    async def remove_recent(self, key: str, status_ids: list[int]) -> int:
        """Remove an author's newest ``cap`` statuses (``status_ids``) from one timeline, which
        is first trimmed to the cap: then none of the author's entries is left behind."""
        removed = 0
        for batch in chunks(status_ids, 1000):
            removed += await self._trim_and_remove(keys=[key],
                                                   args=[self.cap, *map(member, batch)])
        return removed

    async def forget_reblog(self, readers: list[int], reblog_id: int, original_id: int) -> None:
        await self._batched(
            functools.partial(self._forget, keys=batch,
                              args=[member(reblog_id), member(original_id)])
            for batch in self._key_batches([home_reblogs_key(i) for i in readers]))
