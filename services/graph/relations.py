"""The graph's NATS API for relationships between accounts: follow requests, blocks, mutes,
and the questions other services ask about them (may X notify Y? whom does Y not want to see?)."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import store
from services.graph.use_cases.block_mute import Block, MuteAccount, Unblock, Unmute
from services.graph.use_cases.follow_account import RemoveFromFollowers
from services.graph.use_cases.follow_requests import AnswerFollowRequest
from shared import viewer_cache
from shared.cache import CacheClient
from shared.contracts import graph as api
from shared.service_host import ServiceHost


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis, *,
             lean: CacheClient | None = None) -> None:
    """``lean``: the lean client (shared/fastredis) for the hidden sets' fills, asked on the
    write path (posts' visibility checks); ``cache`` for everything else."""
    hot = lean or cache
    async def blocks(req: api.RelationPage) -> api.RelationItems:
        async with pool.acquire() as conn:
            return api.RelationItems(items=await store.blocks_page(conn, req))

    async def mutes(req: api.RelationPage) -> api.RelationItems:
        async with pool.acquire() as conn:
            return api.RelationItems(items=await store.mutes_page(conn, req))

    async def follow_requests(req: api.RelationPage) -> api.RelationItems:
        async with pool.acquire() as conn:
            return api.RelationItems(items=await store.follow_requests_page(conn, req))

    async def notification_allowed(req: api.NotificationAllowed) -> api.Allowed:
        async with pool.acquire() as conn:
            refused = await store.notification_refused(conn, req.recipient_id,
                                                       req.from_account_id)
            if refused or not req.facts:
                return api.Allowed(allowed=not refused)
            facts = await store.notification_facts(conn, req.recipient_id, req.from_account_id)
        return api.Allowed(allowed=True, **dict(facts))

    async def hidden(req: api.ViewerFacts) -> api.Hidden:
        seen = await viewer_cache.generation(hot, viewer_cache.hidden_key(req.account_id))
        async with pool.acquire() as conn:
            rows = await store.hidden_from(conn, req.account_id)
        found = api.Hidden(ids=list({row["id"] for row in rows}),
                           notification_ids=list({row["id"] for row in rows if row["quiet"]}),
                           blocked=list({row["id"] for row in rows if row["block"]}))
        # Cached for the gateway's timeline reads, at most until the first timed mute ends.
        ends = [row["ends_in"] for row in rows if row["ends_in"] is not None]
        ttl = min([viewer_cache.HIDDEN_TTL_S, *(int(e) + 1 for e in ends)])
        await viewer_cache.fill_hidden(
            hot, req.account_id, seen,
            viewer_cache.Hidden(ids=found.ids, notification_ids=found.notification_ids,
                                blocked=found.blocked), ttl)
        return found

    host.serve(api.FOLLOW_REQUEST_AUTHORIZE, AnswerFollowRequest(pool, cache, accept=True))
    host.serve(api.FOLLOW_REQUEST_REJECT, AnswerFollowRequest(pool, cache, accept=False))
    host.serve(api.FOLLOW_REQUESTS_LIST, follow_requests)
    host.serve(api.FOLLOWER_REMOVE, RemoveFromFollowers(pool, cache))
    host.serve(api.BLOCK_ADD, Block(pool, cache))
    host.serve(api.BLOCK_REMOVE, Unblock(pool, cache))
    host.serve(api.BLOCKS_LIST, blocks)
    host.serve(api.MUTE_ADD, MuteAccount(pool, cache))
    host.serve(api.MUTE_REMOVE, Unmute(pool, cache))
    host.serve(api.MUTES_LIST, mutes)
    host.serve(api.NOTIFICATION_ALLOWED, notification_allowed)
    host.serve(api.VIEWER_HIDDEN, hidden)
