"""PostStatus: validate, resolve mentions, write the status and its event in one transaction."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.posts import status_cache, store, text
from shared import bus, errors, events, outbox, policy
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
        body = req.text.strip()
        if not body:
            raise errors.Invalid("Validation failed: Text can't be blank")
        if text.length(body) > self.settings.max_status_chars:
            raise errors.Invalid(
                f"Validation failed: Text character limit of {self.settings.max_status_chars} "
                "exceeded")
        if req.visibility not in policy.VISIBILITIES:
            raise errors.Invalid(f"Validation failed: visibility must be one of "
                                 f"{', '.join(policy.VISIBILITIES)}")
        if len(req.spoiler_text) > self.settings.max_status_chars:
            raise errors.Invalid("Validation failed: spoiler_text is too long")
        if req.idempotency_key:
            existing = await self._by_idempotency_key(req.account_id, req.idempotency_key)
            if existing is not None:
                return existing

        parsed = text.parse(body)
        mentioned = await self._resolve_mentions(parsed)
        parent = await self._reply_target(req) if req.in_reply_to_id is not None else None
        mention_ids = tuple(dict.fromkeys(
            [a.id for a in mentioned.values() if a.id != req.account_id]))
        content_html = text.render_html(
            body, base_url=self.settings.base_url,
            known_mentions={name: (f"{self.settings.base_url}/@{a.username}", a.network_domain)
                            for name, a in mentioned.items()},
        )
        status_id = new_id()
        event = events.StatusCreated(
            status_id=status_id, account_id=req.account_id, network_id=req.network_id,
            visibility=req.visibility, in_reply_to_id=req.in_reply_to_id,
            in_reply_to_account_id=parent.account_id if parent else None,
            mentions=mention_ids, tags=tuple(parsed.tags),
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
                        "in_reply_to_account_id, mentions, tags) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                        status_id, req.account_id, req.network_id, body, content_html,
                        req.spoiler_text, req.sensitive or bool(req.spoiler_text),
                        req.visibility, req.language, req.in_reply_to_id,
                        event.in_reply_to_account_id, list(mention_ids), list(parsed.tags),
                    )
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
            [status] = await store.statuses_by_ids(conn, [status_id])
        await status_cache.put(self.cache, [status])
        if parent is not None:
            await status_cache.invalidate(self.cache, parent.id)
        return status

    async def _by_idempotency_key(self, account_id: int, key: str | None) -> StatusRecord | None:
        async with self.pool.acquire() as conn:
            status_id = await conn.fetchval(
                "SELECT status_id FROM idempotency_keys WHERE account_id = $1 AND key = $2",
                account_id, key)
            if status_id is None:
                return None
            found = await store.statuses_by_ids(conn, [status_id])
        return found[0] if found else None

    async def _resolve_mentions(self, parsed: text.ParsedText) -> dict:
        if not parsed.mentions:
            return {}
        reply = await bus.request(
            self.nc, "graph", "account.lookup",
            graph_api.LookupAccounts(usernames=[name for name, _ in parsed.mentions]),
            graph_api.Accounts,
        )
        by_name = {a.username.lower(): a for a in reply.accounts}
        resolved = {}
        for name, domain in parsed.mentions:
            account = by_name.get(name.lower())
            # @user@domain names a network: it must be that account's network.
            if account and (domain is None or domain.lower() == account.network_domain):
                resolved[name.lower()] = account
        return resolved

    async def _reply_target(self, req: CreateStatus) -> StatusRecord:
        async with self.pool.acquire() as conn:
            found = await store.statuses_by_ids(conn, [req.in_reply_to_id])  # type: ignore[list-item]
        if not found:
            raise errors.NotFound("Record not found")
        parent = found[0]
        facts = await bus.request(self.nc, "graph", "viewer.facts",
                                  graph_api.ViewerFacts(account_id=req.account_id),
                                  graph_api.ViewerFactsReply)
        if not policy.can_see(post_facts(parent), facts.viewer()):
            raise errors.NotFound("Record not found")  # do not reveal that it exists
        return parent


def post_facts(status: StatusRecord) -> policy.PostFacts:
    return policy.PostFacts(author_id=status.account_id, network_id=status.network_id,
                            visibility=status.visibility, mentions=status.mentions,
                            community_id=status.community_id)
