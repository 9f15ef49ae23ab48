"""FollowAccount, UnfollowAccount and RemoveFromFollowers: change a follow, its counters and its
event together. Following a locked account asks first (a follow request); a block either way
refuses the follow."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, store
from shared import errors, events, outbox
from shared.contracts.graph import AccountPair, Follow, Relationship, Unfollow
from shared.ids import new_id


async def relationship(conn: asyncpg.Connection, account_id: int, other_id: int) -> Relationship:
    row = await conn.fetchrow(
        """
        SELECT
          (SELECT row(reblogs, notify)::text FROM follows
            WHERE follower_id = $1 AND followee_id = $2) AS follow,
          EXISTS (SELECT 1 FROM follows WHERE follower_id = $2 AND followee_id = $1)
            AS followed_by,
          EXISTS (SELECT 1 FROM follow_requests WHERE follower_id = $1 AND followee_id = $2)
            AS requested,
          EXISTS (SELECT 1 FROM follow_requests WHERE follower_id = $2 AND followee_id = $1)
            AS requested_by,
          EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_id = $2) AS blocking,
          EXISTS (SELECT 1 FROM blocks WHERE account_id = $2 AND target_id = $1) AS blocked_by,
          (SELECT notifications FROM mutes WHERE account_id = $1 AND target_id = $2
            AND (expires_at IS NULL OR expires_at > now())) AS mute_notifications
        """, account_id, other_id)
    follow = row["follow"]  # "(t,f)" for (reblogs, notify)
    return Relationship(
        id=other_id,
        following=follow is not None,
        showing_reblogs=bool(follow and follow[1] == "t"),
        notifying=bool(follow and follow[3] == "t"),
        followed_by=row["followed_by"],
        requested=row["requested"],
        requested_by=row["requested_by"],
        blocking=row["blocking"],
        blocked_by=row["blocked_by"],
        muting=row["mute_notifications"] is not None,
        muting_notifications=bool(row["mute_notifications"]),
    )


async def add_follow(conn: asyncpg.Connection, follower_id: int, followee_id: int,
                     reblogs: bool, notify: bool) -> bool:
    """Insert (or update the options of) a follow inside the caller's transaction; True when
    it is new, in which case counters and the event are written too."""
    inserted = await conn.fetchval(
        "INSERT INTO follows (follower_id, followee_id, reblogs, notify) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (follower_id, followee_id) "
        "DO UPDATE SET reblogs = EXCLUDED.reblogs, notify = EXCLUDED.notify "
        "RETURNING (xmax = 0)",  # true only for a new row
        follower_id, followee_id, reblogs, notify,
    )
    if inserted:
        await _count(conn, follower_id, followee_id, +1)
        await outbox.add(conn, "graph", events.FollowCreated(
            follower_id=follower_id, followee_id=followee_id, reblogs=reblogs, notify=notify))
    return bool(inserted)


async def remove_follow(conn: asyncpg.Connection, follower_id: int, followee_id: int) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2 RETURNING true",
        follower_id, followee_id,
    )
    if deleted:
        await _count(conn, follower_id, followee_id, -1)
        await outbox.add(conn, "graph", events.FollowRemoved(
            follower_id=follower_id, followee_id=followee_id))
    return bool(deleted)


class FollowAccount:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: Follow) -> Relationship:
        if req.follower_id == req.followee_id:
            raise errors.Invalid("You cannot follow yourself")
        changed = False
        async with self.pool.acquire() as conn, conn.transaction():
            target = await conn.fetchrow(
                "SELECT locked, deactivated_at IS NOT NULL AS gone FROM accounts WHERE id = $1",
                req.followee_id)
            exists = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)",
                                         req.follower_id)
            if target is None or target["gone"] or not exists:
                raise errors.NotFound("Record not found")
            if await conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM blocks WHERE (account_id = $1 AND target_id = $2)"
                    " OR (account_id = $2 AND target_id = $1))", req.follower_id, req.followee_id):
                raise errors.Forbidden("This action is not allowed")
            already = await store.follow_row(conn, req.follower_id, req.followee_id)
            if target["locked"] and already is None:
                requested = await conn.fetchval(
                    "INSERT INTO follow_requests (id, follower_id, followee_id, reblogs, notify) "
                    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (follower_id, followee_id) "
                    "DO NOTHING RETURNING true",
                    new_id(), req.follower_id, req.followee_id, req.reblogs, req.notify)
                if requested:
                    await outbox.add(conn, "graph", events.FollowRequested(
                        follower_id=req.follower_id, followee_id=req.followee_id))
            else:
                changed = await add_follow(conn, req.follower_id, req.followee_id, req.reblogs,
                                           req.notify)
            result = await relationship(conn, req.follower_id, req.followee_id)
        if changed:
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
            deleted = await remove_follow(conn, req.follower_id, req.followee_id)
            # Withdrawing a pending request is an unfollow too, as clients present it.
            await conn.execute("DELETE FROM follow_requests WHERE follower_id = $1 "
                               "AND followee_id = $2", req.follower_id, req.followee_id)
            result = await relationship(conn, req.follower_id, req.followee_id)
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
            result = await relationship(conn, req.account_id, req.target_id)
        if deleted:
            await account_cache.invalidate(self.cache, req.account_id, req.target_id)
        return result


async def _count(conn: asyncpg.Connection, follower_id: int, followee_id: int, delta: int
                 ) -> None:
    # Relative updates inside the follow's transaction: concurrent follows cannot lose a count.
    await conn.execute("UPDATE accounts SET following_count = following_count + $2 WHERE id = $1",
                       follower_id, delta)
    await conn.execute("UPDATE accounts SET followers_count = followers_count + $2 WHERE id = $1",
                       followee_id, delta)
