"""PostStatus: validate, resolve mentions, write the status (and its poll) with its event in one
transaction. A retried request with the same Idempotency-Key returns the first status."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.posts import audience, status_cache, store
from services.posts.use_cases.compose import compose, validate_poll
from shared import bus, errors, events, outbox, policy
from shared.contracts import communities as communities_api
from shared.contracts import graph as graph_api
from shared.contracts.posts import CreateStatus
from shared.ids import new_id
from shared.records import StatusRecord
from shared.settings import Settings


class PostStatus:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis, nc: NATS, settings: Settings
                 ) -> None:
        self.pool = pool
        self.cache = cache
        self.nc = nc
        self.settings = settings

    async def __call__(self, req: CreateStatus) -> StatusRecord:
        if req.visibility not in policy.VISIBILITIES:
            raise errors.Invalid(f"Validation failed: visibility must be one of "
                                 f"{', '.join(policy.VISIBILITIES)}")
        options = validate_poll(req.poll) if req.poll else None
        if req.idempotency_key:
            existing = await self._by_idempotency_key(req.account_id, req.idempotency_key)
            if existing is not None:
                return existing
        composed = await compose(self.nc, self.settings, req.text, req.spoiler_text,
                                 req.account_id, has_poll=options is not None)
        parent = None
        if req.in_reply_to_id is not None:
            async with self.pool.acquire() as conn:
                found = await store.status(conn, req.in_reply_to_id)
            parent = await audience.ensure_visible(self.nc, found, req.account_id)
            if parent.reblog_of_id is not None:
                raise errors.Invalid("Validation failed: cannot reply to a reblog")
        community_id = await self._community(req, parent)
        status_id = new_id()
        event = events.StatusCreated(
            status_id=status_id, account_id=req.account_id, network_id=req.network_id,
            visibility=req.visibility, in_reply_to_id=req.in_reply_to_id,
            in_reply_to_account_id=parent.account_id if parent else None,
            community_id=community_id, mentions=composed.mention_ids, tags=composed.tags,
        )
        async with self.pool.acquire() as conn:
            try:
                async with conn.transaction():
                    if req.idempotency_key:
                        await conn.execute(
                            "INSERT INTO idempotency_keys (account_id, key, status_id) "
                            "VALUES ($1, $2, $3)",
                            req.account_id, req.idempotency_key, status_id)
                    await conn.execute(
                        "INSERT INTO statuses (id, account_id, network_id, text, content_html, "
                        "spoiler_text, sensitive, visibility, language, in_reply_to_id, "
                        "in_reply_to_account_id, mentions, tags, community_id) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                        status_id, req.account_id, req.network_id, composed.body,
                        composed.content_html, req.spoiler_text,
                        req.sensitive or bool(req.spoiler_text), req.visibility, req.language,
                        req.in_reply_to_id, event.in_reply_to_account_id,
                        list(composed.mention_ids), list(composed.tags), community_id,
                    )
                    if options is not None:
                        await conn.execute(
                            "INSERT INTO polls (id, status_id, options, votes, multiple, "
                            "expires_at) VALUES ($1, $2, $3, $4, $5, "
                            "now() + make_interval(secs => $6))",
                            new_id(), status_id, options, [0] * len(options),
                            req.poll.multiple, float(req.poll.expires_in))  # type: ignore[union-attr]
                    if composed.tags:
                        await conn.executemany(
                            "INSERT INTO tag_uses (tag, status_id, account_id) VALUES ($1, $2, $3)"
                            " ON CONFLICT DO NOTHING",
                            [(tag, status_id, req.account_id) for tag in composed.tags])
                    if parent is not None:
                        await conn.execute(
                            "UPDATE statuses SET replies_count = replies_count + 1 WHERE id = $1",
                            parent.id)
                    await outbox.add(conn, "posts", event)
            except asyncpg.UniqueViolationError:
                # The same Idempotency-Key raced us and won: answer with its status.
                existing = await self._by_idempotency_key(req.account_id, req.idempotency_key)
                if existing is None:
                    raise
                return existing
        [status] = await status_cache.refresh(self.cache, self.pool, status_id)
        if parent is not None:
            await status_cache.refresh(self.cache, self.pool, parent.id)
        return status

    async def _community(self, req: CreateStatus, parent: StatusRecord | None) -> int | None:
        """The community the status goes into: a reply stays in its parent's. The author must be
        a member (guests included): graph answers 404 for a community the author cannot see and
        403 for one it is not a member of."""
        community_id = req.community_id
        if parent is not None and parent.community_id is not None:
            if community_id is not None and community_id != parent.community_id:
                raise errors.Invalid("Validation failed: a reply stays in the community of the "
                                     "status it replies to")
            community_id = parent.community_id
        if community_id is not None:
            await bus.request(self.nc, "graph", "community.can_post",
                              graph_api.CanPost(account_id=req.account_id,
                                                community_id=community_id),
                              communities_api.Membership)
        return community_id

    async def _by_idempotency_key(self, account_id: int, key: str | None) -> StatusRecord | None:
        async with self.pool.acquire() as conn:
            status_id = await conn.fetchval(
                "SELECT status_id FROM idempotency_keys WHERE account_id = $1 AND key = $2",
                account_id, key)
            if status_id is None:
                return None
            return await store.status(conn, status_id)
