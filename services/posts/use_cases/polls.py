"""VotePoll and ClosePolls: one vote per account (several choices only where the poll allows
it), counts that stay right under concurrent votes, and a ``poll.ended`` event once per poll."""

from __future__ import annotations

import logging

import asyncpg
from nats.aio.client import Client as NATS

from services.posts import audience, status_cache, store
from shared import errors, events, outbox, viewer_cache
from shared.cache import CacheClient
from shared.contracts.posts import PollReply, Vote
from shared.periodic import Every

log = logging.getLogger(__name__)


class VotePoll:
    def __init__(self, pool: asyncpg.Pool, cache: CacheClient, nc: NATS) -> None:
        self.pool = pool
        self.cache = cache
        self.nc = nc

    async def __call__(self, req: Vote) -> PollReply:
        async with self.pool.acquire() as conn:
            status_id = await store.poll_status_id(conn, req.poll_id)
            status = await store.status(conn, status_id) if status_id else None
        status = await audience.ensure_visible(self.nc, status, req.account_id)
        choices = sorted(set(req.choices))
        async with self.pool.acquire() as conn, conn.transaction():
            # The row lock serializes votes on one poll: counts cannot be lost.
            poll = await store.lock_poll(conn, req.poll_id)
            if poll is None:
                raise errors.NotFound("Record not found")
            if poll["expired"]:
                raise errors.Invalid("Validation failed: the poll has already ended")
            if not choices or any(not 0 <= c < len(poll["options"]) for c in choices):
                raise errors.Invalid("Validation failed: choices must name the poll's options")
            if len(choices) > 1 and not poll["multiple"]:
                raise errors.Invalid("Validation failed: this poll takes one choice")
            if await store.has_voted(conn, req.poll_id, req.account_id):
                raise errors.Invalid("Validation failed: you have already voted on this poll")
            await store.add_votes(conn, req.poll_id, req.account_id, choices)
            # The poll is part of the status record: bump its version so caches take the new one.
            await store.bump_version(conn, status.id)
            await outbox.add(conn, "posts", events.PollVoted(
                poll_id=req.poll_id, status_id=status.id, account_id=req.account_id,
                choices=tuple(choices)))
            fresh = await store.status(conn, status.id)
        await status_cache.refresh(self.cache, self.pool, status.id)
        await viewer_cache.forget_flags(self.cache, req.account_id, status.id)
        assert fresh is not None and fresh.poll is not None
        return PollReply(status=fresh, poll=fresh.poll)


class ClosePolls:
    """Background task: announce each poll once when it ends (voters and author get told)."""

    def __init__(self, pool: asyncpg.Pool, cache: CacheClient, interval_s: float = 5.0) -> None:
        self.pool = pool
        self.cache = cache
        self._every = Every(interval_s, self.close_due, "close-polls")

    async def start(self) -> None:
        await self._every.start()

    async def stop(self) -> None:
        await self._every.stop()

    async def close_due(self) -> int:
        closed = 0
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await store.lock_ended_polls(conn)
            for row in rows:
                voters = await store.voter_ids(conn, row["id"])
                await store.mark_announced(conn, row["id"])
                await outbox.add(conn, "posts", events.PollEnded(
                    poll_id=row["id"], status_id=row["status_id"],
                    status_account_id=row["account_id"],
                    voter_ids=tuple(voters)))
                closed += 1
        if rows:
            await status_cache.refresh(self.cache, self.pool, *(row["status_id"] for row in rows))
        return closed
