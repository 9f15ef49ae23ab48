"""CountStatus: keep ``statuses_count`` and ``last_status_at`` in step with the posts' events."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache
from shared import events


class CountStatus:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, event: events.AnyEvent) -> None:
        if isinstance(event, events.StatusCreated):
            delta, account_id = 1, event.account_id
        elif isinstance(event, events.StatusDeleted):
            delta, account_id = -1, event.account_id
        else:
            return
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetchval(
                "INSERT INTO applied_events (event_id) VALUES ($1) "
                "ON CONFLICT DO NOTHING RETURNING true", event.id)
            if not fresh:
                return  # redelivered: already counted
            await conn.execute(
                "UPDATE accounts SET statuses_count = greatest(statuses_count + $2, 0), "
                "last_status_at = CASE WHEN $2 > 0 THEN to_timestamp($3 / 1000.0) "
                "ELSE last_status_at END WHERE id = $1",
                account_id, delta, event.occurred_at,
            )
        await account_cache.invalidate(self.cache, account_id)
