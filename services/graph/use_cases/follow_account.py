"""FollowAccount, UnfollowAccount and RemoveFromFollowers: change a follow, its counters and its
event together. Following a locked account asks first (a follow request); a block either way
refuses the follow."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, store
from shared import errors, events, member_index, outbox
from shared.contracts.graph import AccountPair, Follow, Relationship, Unfollow
from shared.ids import new_id


async def add_follow(conn: asyncpg.Connection, follower_id: int, followee_id: int,
                     reblogs: bool, notify: bool) -> bool:
    """Insert (or update the options of) a follow inside the caller's transaction; True when
    it is new, in which case counters and the event are written too."""
    inserted = await store.insert_follow(conn, follower_id, followee_id, reblogs, notify)
    if inserted:
        await store.add_to_follow_counts(conn, follower_id, followee_id, +1)
        await outbox.add(conn, "graph", events.FollowCreated(
            follower_id=follower_id, followee_id=followee_id, reblogs=reblogs, notify=notify))
    return inserted


async def keep_belled_index(pool: asyncpg.Pool, cache: redis.Redis) -> int | None:
    """Fill notify's index of belled accounts when it is not complete (shared/member_index.py);
    how many it added (None: it was)."""
    return await member_index.keep(cache, member_index.BELLED, pool, store.belled_account_ids)


async def remove_follow(conn: asyncpg.Connection, follower_id: int, followee_id: int) -> bool:
    deleted = await store.delete_follow(conn, follower_id, followee_id)
    if deleted:
        await store.add_to_follow_counts(conn, follower_id, followee_id, -1)
        await outbox.add(conn, "graph", events.FollowRemoved(
            follower_id=follower_id, followee_id=followee_id))
    return deleted


class FollowAccount:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: Follow) -> Relationship:
        if req.follower_id == req.followee_id:
            raise errors.Invalid("You cannot follow yourself")
        changed = False
        # A bell: into notify's index before the commit and after (even for a request: a
        # superset does no harm).
        belled = [req.followee_id] if req.notify else []
        async with (member_index.noting(self.cache, member_index.BELLED, belled),
                    self.pool.acquire() as conn, conn.transaction()):
            target = await store.follow_target(conn, req.followee_id)
            exists = await store.account_exists(conn, req.follower_id)
            if target is None or target["gone"] or not exists:
                raise errors.NotFound("Record not found")
            if await store.blocks_between(conn, req.follower_id, req.followee_id):
                raise errors.Forbidden("This action is not allowed")
            already = await store.follow_row(conn, req.follower_id, req.followee_id)
            if target["locked"] and already is None:
                requested = await store.insert_follow_request(
                    conn, new_id(), req.follower_id, req.followee_id, req.reblogs, req.notify)
                if requested:
                    await outbox.add(conn, "graph", events.FollowRequested(
                        follower_id=req.follower_id, followee_id=req.followee_id))
            else:
                await add_follow(conn, req.follower_id, req.followee_id, req.reblogs, req.notify)
                # New, or its options changed (reblogs: the followee's followers as fanout
                # reads them for reblogs, shared/followers_cache.py).
                changed = True
            result = await store.relationship(conn, req.follower_id, req.followee_id)
        if changed:
            await account_cache.invalidate(self.cache, req.follower_id, req.followee_id)
        return result


class UnfollowAccount:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: Unfollow) -> Relationship:
        async with self.pool.acquire() as conn, conn.transaction():
            exists = await store.account_exists(conn, req.followee_id)
            if not exists:
                raise errors.NotFound("Record not found")
            deleted = await remove_follow(conn, req.follower_id, req.followee_id)
            # Withdrawing a pending request is an unfollow too, as clients present it.
            await store.delete_follow_request(conn, req.follower_id, req.followee_id)
            result = await store.relationship(conn, req.follower_id, req.followee_id)
        if deleted:
            await account_cache.invalidate(self.cache, req.follower_id, req.followee_id)
        return result


class RemoveFromFollowers:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: AccountPair) -> Relationship:
        async with self.pool.acquire() as conn, conn.transaction():
            deleted = await remove_follow(conn, req.target_id, req.account_id)
            result = await store.relationship(conn, req.account_id, req.target_id)
        if deleted:
            await account_cache.invalidate(self.cache, req.account_id, req.target_id)
        return result
