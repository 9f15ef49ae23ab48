"""AuthorizeFollowRequest and RejectFollowRequest: a locked account answers who asked."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, store
from services.graph.use_cases.follow_account import add_follow
from shared import errors, events, member_index, outbox
from shared.contracts.graph import AccountPair, Relationship


class AnswerFollowRequest:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis, *, accept: bool) -> None:
        self.pool = pool
        self.cache = cache
        self.accept = accept

    async def __call__(self, req: AccountPair) -> Relationship:
        """``account_id`` is the locked account; ``target_id`` asked to follow it."""
        async with self.pool.acquire() as conn, conn.transaction():
            request = await store.take_follow_request(conn, req.target_id, req.account_id)
            if request is None:
                raise errors.NotFound("Record not found")
            # A bell: into notify's index before the commit and after (member_index.py).
            belled = [req.account_id] if self.accept and request["notify"] else []
            if self.accept:
                await member_index.note(self.cache, member_index.BELLED, belled)
                await add_follow(conn, req.target_id, req.account_id, request["reblogs"],
                                 request["notify"])
            else:
                await outbox.add(conn, "graph", events.FollowRequestRejected(
                    follower_id=req.target_id, followee_id=req.account_id))
            result = await store.relationship(conn, req.account_id, req.target_id)
        await member_index.note(self.cache, member_index.BELLED, belled)
        if self.accept:
            await account_cache.invalidate(self.cache, req.account_id, req.target_id)
        return result
