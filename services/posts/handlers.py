"""The posts service's NATS API: thin adapters from request Structs to use cases."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.posts import status_cache, store
from services.posts.use_cases.post_status import PostStatus
from shared.bus import ServiceHost
from shared.contracts import posts as api
from shared.settings import Settings


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis, nc: NATS,
             settings: Settings) -> None:
    async def get_statuses(req: api.GetStatuses) -> api.Statuses:
        async with pool.acquire() as conn:
            statuses = await store.statuses_by_ids(conn, req.ids[:200])
        await status_cache.put(cache, statuses)
        return api.Statuses(statuses=statuses)

    async def recent_by_author(req: api.RecentByAuthor) -> api.Ids:
        async with pool.acquire() as conn:
            return api.Ids(ids=await store.recent_ids_by_author(conn, req.account_id,
                                                                min(req.limit, 800)))

    host.add("status.create", api.CreateStatus, PostStatus(pool, cache, nc, settings))
    host.add("status.get", api.GetStatuses, get_statuses)
    host.add("status.recent_by_author", api.RecentByAuthor, recent_by_author)
