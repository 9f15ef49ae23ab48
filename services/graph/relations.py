"""The graph's NATS API for relationships between accounts: follow requests, blocks, mutes,
and the questions other services ask about them (may X notify Y? whom does Y not want to see?)."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.use_cases.block_mute import Block, MuteAccount, Unblock, Unmute
from services.graph.use_cases.follow_account import RemoveFromFollowers
from services.graph.use_cases.follow_requests import AnswerFollowRequest
from shared import viewer_cache
from shared.bus import ServiceHost
from shared.contracts import graph as api


async def _page(conn: asyncpg.Connection, table: str, owner: str, other: str,
                req: api.RelationPage, extra: str = "") -> api.RelationItems:
    args: list = [req.account_id]
    clauses = [f"{owner} = $1"]
    for value, op in ((req.max_id, "<"), (req.since_id, ">"), (req.min_id, ">")):
        if value is not None:
            args.append(value)
            clauses.append(f"id {op} ${len(args)}")
    ascending = req.min_id is not None and req.max_id is None
    args.append(max(1, min(req.limit, 80)))
    rows = await conn.fetch(
        f"SELECT id, {other} AS other FROM {table} WHERE {' AND '.join(clauses)}{extra} "
        f"ORDER BY id {'ASC' if ascending else 'DESC'} LIMIT ${len(args)}", *args)
    items = [api.RelationItem(cursor=row["id"], account_id=row["other"]) for row in rows]
    if ascending:
        items.reverse()
    return api.RelationItems(items=items)


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def blocks(req: api.RelationPage) -> api.RelationItems:
        async with pool.acquire() as conn:
            return await _page(conn, "blocks", "account_id", "target_id", req)

    async def mutes(req: api.RelationPage) -> api.RelationItems:
        async with pool.acquire() as conn:
            return await _page(conn, "mutes", "account_id", "target_id", req,
                               " AND (expires_at IS NULL OR expires_at > now())")

    async def follow_requests(req: api.RelationPage) -> api.RelationItems:
        async with pool.acquire() as conn:
            return await _page(conn, "follow_requests", "followee_id", "follower_id", req)

    async def notification_allowed(req: api.NotificationAllowed) -> api.Allowed:
        async with pool.acquire() as conn:
            refused = await conn.fetchval(
                """
                SELECT EXISTS (SELECT 1 FROM blocks WHERE (account_id = $1 AND target_id = $2)
                                                     OR (account_id = $2 AND target_id = $1))
                    OR EXISTS (SELECT 1 FROM mutes WHERE account_id = $1 AND target_id = $2
                               AND notifications AND (expires_at IS NULL OR expires_at > now()))
                """, req.recipient_id, req.from_account_id)
        return api.Allowed(allowed=not refused)

    async def hidden(req: api.ViewerFacts) -> api.Hidden:
        seen = await viewer_cache.generation(cache, viewer_cache.hidden_key(req.account_id))
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT target_id AS id, notifications AS quiet, "
                "extract(epoch FROM expires_at - now()) AS ends_in FROM mutes "
                "WHERE account_id = $1 AND (expires_at IS NULL OR expires_at > now()) "
                "UNION SELECT target_id, true, NULL FROM blocks WHERE account_id = $1 "
                "UNION SELECT account_id, true, NULL FROM blocks WHERE target_id = $1",
                req.account_id)
        found = api.Hidden(ids=list({row["id"] for row in rows}),
                           notification_ids=list({row["id"] for row in rows if row["quiet"]}))
        # Cached for the gateway's timeline reads, at most until the first timed mute ends.
        ends = [row["ends_in"] for row in rows if row["ends_in"] is not None]
        ttl = min([viewer_cache.HIDDEN_TTL_S, *(int(e) + 1 for e in ends)])
        await viewer_cache.fill_hidden(
            cache, req.account_id, seen,
            viewer_cache.Hidden(ids=found.ids, notification_ids=found.notification_ids), ttl)
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
