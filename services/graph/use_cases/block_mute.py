"""Block, Unblock, Mute, Unmute.

A block breaks follows and pending requests both ways, and from then on neither side sees the
other's posts (the visibility policy reads blocks from the viewer facts) nor gets notified by
them. A mute only hides: the muted account's posts leave the muter's timelines, and, unless
``notifications`` is false, its notifications too; ``duration`` makes it expire by itself.
"""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, store
from services.graph.use_cases.follow_account import remove_follow
from shared import errors, events, outbox, viewer_cache
from shared.contracts.graph import AccountPair, Mute, Relationship
from shared.ids import new_id

MAX_MUTE_S = 10 * 365 * 24 * 3600


async def _target_exists(conn: asyncpg.Connection, req_account: int, target: int) -> None:
    if req_account == target:
        raise errors.Invalid("Validation failed: you cannot do this to yourself")
    if not await store.account_exists(conn, target):
        raise errors.NotFound("Record not found")


class Block:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: AccountPair) -> Relationship:
        async with self.pool.acquire() as conn, conn.transaction():
            await _target_exists(conn, req.account_id, req.target_id)
            created = await store.insert_block(conn, new_id(), req.account_id, req.target_id)
            if created:
                await remove_follow(conn, req.account_id, req.target_id)
                await remove_follow(conn, req.target_id, req.account_id)
                await store.delete_follow_requests_between(conn, req.account_id, req.target_id)
                await outbox.add(conn, "graph", events.BlockCreated(
                    account_id=req.account_id, target_id=req.target_id))
            result = await store.relationship(conn, req.account_id, req.target_id)
        await account_cache.invalidate(self.cache, req.account_id, req.target_id)
        # Both sides: the blocked one no longer sees the blocker either.
        await viewer_cache.forget_hidden(self.cache, req.account_id, req.target_id)
        return result


class Unblock:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: AccountPair) -> Relationship:
        async with self.pool.acquire() as conn, conn.transaction():
            await _target_exists(conn, req.account_id, req.target_id)
            removed = await store.delete_block(conn, req.account_id, req.target_id)
            if removed:
                await outbox.add(conn, "graph", events.BlockRemoved(
                    account_id=req.account_id, target_id=req.target_id))
            result = await store.relationship(conn, req.account_id, req.target_id)
        await viewer_cache.forget_hidden(self.cache, req.account_id, req.target_id)
        return result


class MuteAccount:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: Mute) -> Relationship:
        if not 0 <= req.duration <= MAX_MUTE_S:
            raise errors.Invalid("Validation failed: duration must be 0 (forever) to ten years")
        async with self.pool.acquire() as conn, conn.transaction():
            await _target_exists(conn, req.account_id, req.target_id)
            await store.upsert_mute(conn, new_id(), req.account_id, req.target_id,
                                    req.notifications, float(req.duration))
            await outbox.add(conn, "graph", events.MuteCreated(
                account_id=req.account_id, target_id=req.target_id,
                notifications=req.notifications))
            result = await store.relationship(conn, req.account_id, req.target_id)
        await viewer_cache.forget_hidden(self.cache, req.account_id)
        return result


class Unmute:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: AccountPair) -> Relationship:
        async with self.pool.acquire() as conn, conn.transaction():
            await _target_exists(conn, req.account_id, req.target_id)
            removed = await store.delete_mute(conn, req.account_id, req.target_id)
            if removed:
                await outbox.add(conn, "graph", events.MuteRemoved(
                    account_id=req.account_id, target_id=req.target_id))
            result = await store.relationship(conn, req.account_id, req.target_id)
        await viewer_cache.forget_hidden(self.cache, req.account_id)
        return result
