"""FollowAccount and UnfollowAccount: change a follow, its counters and its event together."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, store
from shared import errors, events, outbox
from shared.contracts.graph import Follow, Relationship, Unfollow


async def relationship(conn: asyncpg.Connection, account_id: int, other_id: int) -> Relationship:
    follow = await store.follow_row(conn, account_id, other_id)
    followed_by = await store.follow_row(conn, other_id, account_id)
    return Relationship(
        id=other_id,
        following=follow is not None,
        showing_reblogs=bool(follow and follow["reblogs"]),
        notifying=bool(follow and follow["notify"]),
        followed_by=followed_by is not None,
    )


class FollowAccount:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: Follow) -> Relationship:
        if req.follower_id == req.followee_id:
            raise errors.Invalid("You cannot follow yourself")
        async with self.pool.acquire() as conn, conn.transaction():
            found = await conn.fetch("SELECT id FROM accounts WHERE id = ANY($1::bigint[])",
                                     [req.follower_id, req.followee_id])
            if len(found) != 2:
                raise errors.NotFound("Record not found")
            inserted = await conn.fetchval(
                "INSERT INTO follows (follower_id, followee_id, reblogs, notify) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (follower_id, followee_id) "
                "DO UPDATE SET reblogs = EXCLUDED.reblogs, notify = EXCLUDED.notify "
                "RETURNING (xmax = 0)",  # true only for a new row
                req.follower_id, req.followee_id, req.reblogs, req.notify,
            )
            if inserted:
                await _count(conn, req.follower_id, req.followee_id, +1)
                await outbox.add(conn, "graph", events.FollowCreated(
                    follower_id=req.follower_id, followee_id=req.followee_id,
                    reblogs=req.reblogs, notify=req.notify))
            result = await relationship(conn, req.follower_id, req.followee_id)
        if inserted:
            await account_cache.invalidate(self.cache, req.follower_id, req.followee_id)
        return result


class UnfollowAccount:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: Unfollow) -> Relationship:
        async with self.pool.acquire() as conn, conn.transaction():
            exists = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)",
                                         req.followee_id)
            if not exists:
                raise errors.NotFound("Record not found")
            deleted = await conn.fetchval(
                "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2 RETURNING 1",
                req.follower_id, req.followee_id,
            )
            if deleted:
                await _count(conn, req.follower_id, req.followee_id, -1)
                await outbox.add(conn, "graph", events.FollowRemoved(
                    follower_id=req.follower_id, followee_id=req.followee_id))
            result = await relationship(conn, req.follower_id, req.followee_id)
        if deleted:
            await account_cache.invalidate(self.cache, req.follower_id, req.followee_id)
        return result


async def _count(conn: asyncpg.Connection, follower_id: int, followee_id: int, delta: int
                 ) -> None:
    # Relative updates inside the follow's transaction: concurrent follows cannot lose a count.
    await conn.execute("UPDATE accounts SET following_count = following_count + $2 WHERE id = $1",
                       follower_id, delta)
    await conn.execute("UPDATE accounts SET followers_count = followers_count + $2 WHERE id = $1",
                       followee_id, delta)
