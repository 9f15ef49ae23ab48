"""ReaderFiltersOf: a reader's filters as the gateway applies them (``viewer.filters``), read
from Postgres and stored in the reader's cache (shared/viewer_cache.py) for every gateway.

Only what can match now goes in: filters not expired, with at least one keyword or status. The
cache lives at most until the first of them expires (the gateway also checks each filter's
expiry as it applies them, so an expired filter never acts, cached or not)."""

from __future__ import annotations

import time

import asyncpg
import redis.asyncio as redis

from services.graph.store import filters as filter_store
from shared import viewer_cache
from shared.contracts import filters as api
from shared.contracts.graph import ViewerFacts


class ReaderFiltersOf:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: ViewerFacts) -> api.ReaderFilters:
        key = viewer_cache.filters_key(req.account_id)
        seen = await viewer_cache.generation(self.cache, key)
        async with self.pool.acquire() as conn:
            found = await filter_store.active_filters(conn, req.account_id)
        stamp, body = viewer_cache.encode_filters(found)
        now_ms = time.time() * 1000
        ends = [f.expires_at for f in found if f.expires_at is not None]
        ttl = viewer_cache.FILTERS_TTL_S if not ends else int((min(ends) - now_ms) / 1000) + 1
        await viewer_cache.fill_filters(self.cache, req.account_id, seen, stamp, body, ttl)
        return api.ReaderFilters(stamp=stamp, filters=found)
