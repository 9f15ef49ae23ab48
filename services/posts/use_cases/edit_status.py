"""EditStatus: the author changes text, warning or poll; history keeps every version."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.posts import status_cache, store
from services.posts.use_cases.compose import compose, validate_poll
from shared import errors, events, outbox
from shared.contracts.posts import EditStatus as Request
from shared.ids import new_id
from shared.records import StatusRecord
from shared.settings import Settings


class EditStatus:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis, nc: NATS, settings: Settings
                 ) -> None:
        self.pool = pool
        self.cache = cache
        self.nc = nc
        self.settings = settings

    async def __call__(self, req: Request) -> StatusRecord:
        async with self.pool.acquire() as conn:
            current = await store.status(conn, req.status_id)
        if current is None:
            raise errors.NotFound("Record not found")
        if current.account_id != req.account_id:
            raise errors.Forbidden("This action is not allowed")
        if current.reblog_of_id is not None:
            raise errors.Invalid("Validation failed: a reblog cannot be edited")
        options = validate_poll(req.poll) if req.poll else None
        composed = await compose(self.nc, self.settings, req.text, req.spoiler_text,
                                 req.account_id,
                                 has_poll=options is not None or current.poll is not None)
        added = tuple(i for i in composed.mention_ids if i not in current.mentions)
        event = events.StatusUpdated(status_id=current.id, account_id=current.account_id,
                                     visibility=current.visibility,
                                     mentions=composed.mention_ids, added_mentions=added)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT text, content_html, spoiler_text, sensitive, created_at, edited_at "
                "FROM statuses WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", current.id)
            if row is None:
                raise errors.NotFound("Record not found")
            if row["edited_at"] is None:
                # The first edit records the original, so history shows where it started.
                await conn.execute(
                    "INSERT INTO status_edits (id, status_id, text, content_html, spoiler_text, "
                    "sensitive, poll_options, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    new_id(), current.id, row["text"], row["content_html"], row["spoiler_text"],
                    row["sensitive"], list(current.poll.options) if current.poll else None,
                    row["created_at"])
            await conn.execute(
                "UPDATE statuses SET text = $2, content_html = $3, spoiler_text = $4, "
                "sensitive = $5, language = coalesce($6, language), mentions = $7, tags = $8, "
                "edited_at = now() WHERE id = $1",
                current.id, composed.body, composed.content_html, req.spoiler_text,
                req.sensitive or bool(req.spoiler_text), req.language,
                list(composed.mention_ids), list(composed.tags))
            if options is not None:
                # A changed poll starts over: old votes were for other options.
                await conn.execute("DELETE FROM poll_votes WHERE poll_id IN "
                                   "(SELECT id FROM polls WHERE status_id = $1)", current.id)
                await conn.execute("DELETE FROM polls WHERE status_id = $1", current.id)
                await conn.execute(
                    "INSERT INTO polls (id, status_id, options, votes, multiple, expires_at) "
                    "VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))",
                    new_id(), current.id, options, [0] * len(options),
                    req.poll.multiple, float(req.poll.expires_in))  # type: ignore[union-attr]
            await conn.execute(
                "INSERT INTO status_edits (id, status_id, text, content_html, spoiler_text, "
                "sensitive, poll_options) VALUES ($1, $2, $3, $4, $5, $6, "
                "(SELECT options FROM polls WHERE status_id = $2))",
                new_id(), current.id, composed.body, composed.content_html, req.spoiler_text,
                req.sensitive or bool(req.spoiler_text))
            await outbox.add(conn, "posts", event)
            updated = await store.status(conn, current.id)
        assert updated is not None
        await status_cache.refresh(self.cache, self.pool, updated.id)
        return updated
