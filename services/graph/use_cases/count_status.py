"""CountStatus: keep ``statuses_count`` and ``last_status_at`` in step with the posts' events.

Events are counted in groups, one statement per group (a group commit): a burst of posts
used to cost one transaction, and one commit's fsync, per status, and crowded the pool that
serves fanout's follower pages. While a group's transaction runs, the events that arrive wait
for the next one; each caller returns when its own event is committed (so the consumer acks it
only then), and a failed group fails each of its callers (each event is redelivered)."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from services.graph import account_cache, store
from shared import events
from shared.cache import CacheClient
from shared.routing import EventRoutes

log = logging.getLogger(__name__)
MAX_GROUP = 500  # events per statement
# How long graph-counters lets events gather before taking them (shared/consumers.py linger_s): an
# account's count may lag its posts by this much, and a group holds a quarter second's posts.
COUNT_LINGER_S = 0.25

def change(event: events.AnyEvent) -> tuple[int, int, int, int] | None:
    """(event id, account id, delta, occurred at) of a counted event, None for others."""
    if isinstance(event, events.StatusCreated):
        return event.id, event.account_id, 1, event.occurred_at
    if isinstance(event, events.StatusDeleted):
        return event.id, event.account_id, -1, event.occurred_at
    return None


class CountStatus:
    def __init__(self, pool: asyncpg.Pool, cache: CacheClient, max_group: int = MAX_GROUP
                 ) -> None:
        self.pool = pool
        self.cache = cache
        self.max_group = max_group
        self._waiting: list[tuple[tuple[int, int, int, int], asyncio.Future[None]]] = []
        self._committer: asyncio.Task[None] | None = None

    def routes(self) -> EventRoutes:
        return (EventRoutes().on(events.StatusCreated, self)
                .on(events.StatusDeleted, self))

    async def __call__(self, event: events.AnyEvent) -> None:
        counted = change(event)
        if counted is None:
            return
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((counted, done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_waiting())
        await done

    async def _commit_waiting(self) -> None:
        while self._waiting:
            group = self._waiting[:self.max_group]
            del self._waiting[:self.max_group]
            try:
                await self._commit([counted for counted, _ in group])
            except Exception as exc:
                for _, done in group:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, done in group:
                if not done.done():  # its caller may have been cancelled
                    done.set_result(None)

    async def _commit(self, group: list[tuple[int, int, int, int]]) -> None:
        unique = {counted[0]: counted for counted in group}  # a redelivery joined its original
        ids, accounts, deltas, times = (list(column)
                                        for column in zip(*unique.values(), strict=True))
        # The records the update returns are written through to the cache, unless a change
        # overtook them (the generations noted before the update: account_cache.fill).
        seen = await account_cache.generations(self.cache, sorted(set(accounts)))
        changed = await store.count_statuses(self.pool, ids, accounts, deltas, times)
        try:
            await account_cache.fill(self.cache, changed, seen)
        except Exception as exc:  # counted already: a redelivery would not refresh either
            log.warning("account cache not refreshed after counting: %s; dropping", exc)
            await account_cache.invalidate(self.cache, *(a.id for a in changed))
