"""The graph's NATS API for communities and their members."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from shared.bus import ServiceHost
from shared.contracts import graph as api


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def member_ids(req: api.CommunityMemberIds) -> api.Ids:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT account_id FROM community_members WHERE community_id = $1 "
                "AND account_id > $2 ORDER BY account_id LIMIT $3",
                req.community_id, req.after_id, min(req.limit, 50_000))
        return api.Ids(ids=[row["account_id"] for row in rows])

    host.add("community.member_ids", api.CommunityMemberIds, member_ids)
