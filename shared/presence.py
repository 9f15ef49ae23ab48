"""Who has a live (streaming) connection open, so that fanout publishes ``hubbub.live.user.<id>``
only to them: at 100,000 recipients, one NATS publish per recipient costs fanout more than the
timeline writes themselves.

A gateway that tracks presence keeps its connected users in the sorted set ``online:users``
(member: account id, score: Unix seconds until which the entry holds) and refreshes them every
``REFRESH_S``; it also keeps ``online:tracked`` alive. Fanout trusts the set only while that key
exists: with no gateway tracking presence, it publishes to every recipient as before, so live
delivery never depends on this being wired in. An entry outlives its connection by at most
``TTL_S`` (a few useless publishes), never the other way round.

Gateway side (services/gateway/streaming/presence.py)::

    tracker = PresenceTracker(redis)        # one per gateway process
    tracker.run()                            # (or ``await tracker.start()``)
    await tracker.connected(account_id)      # when a streaming connection opens
    tracker.disconnected(account_id)         # when it closes
    await tracker.stop()

Several gateways share the set: each refreshes its own users, so a user connected to any of them
stays in it, and a gateway that dies without a word stops refreshing: its users drop out
``TTL_S`` later (those connected elsewhere are refreshed there).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from typing import Any

import redis.asyncio as redis

from shared.fastredis import FastRedis
from shared.records import ONLINE_USERS_KEY, PRESENCE_TRACKED_KEY

log = logging.getLogger(__name__)

TTL_S = 90
REFRESH_S = 30


async def mark_online(r: redis.Redis, account_ids: list[int], now: float | None = None,
                      ttl_s: float = TTL_S) -> None:
    if not account_ids:
        return
    until = (time.time() if now is None else now) + ttl_s
    pipe = r.pipeline(transaction=False)
    pipe.zadd(ONLINE_USERS_KEY, {str(i): until for i in account_ids})
    pipe.set(PRESENCE_TRACKED_KEY, b"1", ex=max(1, round(ttl_s)))
    await pipe.execute()


async def tracked(r: redis.Redis) -> bool:
    return bool(await r.exists(PRESENCE_TRACKED_KEY))


async def _replies(r: redis.Redis | FastRedis, commands: list[tuple[Any, ...]]) -> list[Any]:
    """The commands' replies in one round trip, on either client (fanout checks presence for
    most posts, on the lean one: redis-py's overhead per call was most of the check's cost)."""
    if isinstance(r, FastRedis):
        return await r.execute_many(commands)
    pipe = r.pipeline(transaction=False)
    for command in commands:
        pipe.execute_command(*command)
    return await pipe.execute()


async def online_among(r: redis.Redis | FastRedis, account_ids: list[int]) -> list[int]:
    """The online ones among these, or all of them when no gateway tracks presence."""
    if not account_ids:
        return []
    is_tracked, scores = await _replies(r, [
        ("EXISTS", PRESENCE_TRACKED_KEY),
        ("ZMSCORE", ONLINE_USERS_KEY, *account_ids)])  # ints: packed as the decimal members
    if not is_tracked:
        return account_ids
    now = time.time()
    return [i for i, until in zip(account_ids, scores, strict=True)
            if until is not None and float(until) > now]


async def online(r: redis.Redis | FastRedis) -> list[int] | None:
    """Everyone online, or None when no gateway tracks presence."""
    is_tracked, members = await _replies(r, [
        ("EXISTS", PRESENCE_TRACKED_KEY),
        ("ZRANGEBYSCORE", ONLINE_USERS_KEY, time.time(), "+inf")])
    return [int(m) for m in members] if is_tracked else None


class PresenceTracker:
    """One gateway process's connected users, kept fresh in Redis."""

    def __init__(self, r: redis.Redis, refresh_s: float = REFRESH_S, ttl_s: float = TTL_S
                 ) -> None:
        assert refresh_s < ttl_s, "entries must be refreshed before they expire"
        self.r = r
        self.refresh_s = refresh_s
        self.ttl_s = ttl_s
        self._connections: Counter[int] = Counter()
        self._task: asyncio.Task[None] | None = None
        # Users waiting to be marked online, and the future their connections wait on.
        self._unmarked: list[int] = []
        self._unmarked_done: asyncio.Future[None] | None = None
        self._marker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.r.set(PRESENCE_TRACKED_KEY, b"1", ex=max(1, round(self.ttl_s)))
        self.run()

    def run(self) -> None:
        """Start refreshing (``connected`` marks the set tracked for the first user)."""
        if self._task is None:
            self._task = asyncio.create_task(self._refresh_forever(), name="presence")

    async def stop(self) -> None:
        for task in (self._task, self._marker):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._marker = None

    @property
    def users(self) -> int:
        return len(self._connections)

    async def connected(self, account_id: int) -> None:
        """Returns once the user is marked online (their events may be published from then)."""
        self._connections[account_id] += 1
        if self._connections[account_id] == 1:
            await asyncio.shield(self._mark_soon(account_id))

    def _mark_soon(self, account_id: int) -> asyncio.Future[None]:
        """Users who connect together are marked in one round trip, like a group commit: those
        arriving while a mark is on its way go in the next. A reconnect storm of 1,000 clients
        was 1,000 pipelines (half a millisecond of CPU each) queued in front of the gateway's
        deliveries."""
        loop = asyncio.get_running_loop()
        if self._unmarked_done is None:
            self._unmarked_done = loop.create_future()
        self._unmarked.append(account_id)
        if self._marker is None:
            self._marker = loop.create_task(self._mark_unmarked(), name="presence-mark")
        return self._unmarked_done

    async def _mark_unmarked(self) -> None:
        done: asyncio.Future[None] | None = None
        try:
            while self._unmarked:
                ids, done = self._unmarked, self._unmarked_done
                self._unmarked, self._unmarked_done = [], None
                assert done is not None
                try:
                    await mark_online(self.r, ids, ttl_s=self.ttl_s)
                except Exception as exc:
                    done.set_exception(exc)
                    done.exception()  # retrieved: a waiter that was cancelled cannot hear it
                else:
                    done.set_result(None)
        finally:
            self._marker = None
            for waited in (done, self._unmarked_done):  # stopped: nobody waits for ever
                if waited is not None and not waited.done():
                    waited.cancel()
            self._unmarked, self._unmarked_done = [], None

    def disconnected(self, account_id: int) -> None:
        """The entry is left to expire: another gateway may hold a connection of the same user."""
        self._connections[account_id] -= 1
        if self._connections[account_id] <= 0:
            del self._connections[account_id]

    async def refresh(self) -> None:
        now = time.time()
        pipe = self.r.pipeline(transaction=False)
        pipe.set(PRESENCE_TRACKED_KEY, b"1", ex=max(1, round(self.ttl_s)))
        if self._connections:
            pipe.zadd(ONLINE_USERS_KEY, {str(i): now + self.ttl_s for i in self._connections})
        pipe.zremrangebyscore(ONLINE_USERS_KEY, "-inf", now)
        await pipe.execute()

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            try:
                await self.refresh()
            except Exception as exc:  # Redis away for a moment: entries live TTL_S anyway
                log.warning("presence refresh failed: %s", exc)
