"""SaveFilter (create, or update with ``keywords_attributes``: add, change, destroy) and
DeleteFilter. Every check runs before the first write, and the change commits whole or not at
all: a filter sent with too many keywords leaves nothing behind."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.store import filters as filter_store
from services.graph.use_cases import filter_checks as checks
from shared import errors
from shared.contracts import filters as api
from shared.ids import new_id


class SaveFilter:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: api.SaveFilter) -> api.FilterRecord:
        creating = req.id is None
        title = checks.title(req.title, required=creating)
        context = checks.contexts(req.context, required=creating)
        action = checks.action(req.action)
        expires_in = checks.expires_in(req.expires_in) if req.set_expiry else None
        added = [(checks.keyword(k.keyword, "keywords_attributes"), k.whole_word)
                 for k in req.keywords if k.id is None and not k.destroy]
        changed = [k for k in req.keywords if k.id is not None and not k.destroy]
        for k in changed:
            if k.keyword is not None:
                checks.keyword(k.keyword, "keywords_attributes")
        destroyed = {k.id for k in req.keywords if k.id is not None and k.destroy}
        checks.keyword_count(len(added), "keywords_attributes")
        owner = req.account_id
        async with self.pool.acquire() as conn, conn.transaction():
            await filter_store.lock_filters_of(conn, owner)
            if req.id is None:
                if await filter_store.filters_count(conn, owner) >= api.MAX_FILTERS:
                    raise errors.Invalid(f"Validation failed: at most {api.MAX_FILTERS} filters",
                                         {"filters": [(errors.TOO_LONG, "too many")]})
                filter_id = new_id()
                assert title is not None and context is not None  # required above
                await filter_store.insert_filter(conn, filter_id, owner, title, context,
                                                 action or "warn", expires_in)
                own: dict[int, api.FilterKeyword] = {}
            else:
                filter_id = req.id
                existing = await checks.owned(conn, owner, filter_id)
                own = {k.id: k for k in existing.keywords}
                await filter_store.update_filter(conn, filter_id, title=title, context=context,
                                                 action=action, set_expiry=req.set_expiry,
                                                 expires_in=expires_in)
            if any(k.id not in own for k in changed) or any(i not in own for i in destroyed):
                raise errors.NotFound("Record not found")  # another filter's keyword, or none
            checks.keyword_count(len(own) - len(destroyed) + len(added), "keywords_attributes")
            await checks.keyword_budget(
                conn, owner,
                added=sum(len(k) for k, _ in added) + sum(
                    len(k.keyword) for k in changed if k.keyword is not None),
                removed=sum(len(own[i].keyword) for i in destroyed) + sum(
                    len(own[k.id].keyword) for k in changed
                    if k.keyword is not None and k.id is not None),
                field="keywords_attributes")
            for k in changed:
                assert k.id is not None
                await filter_store.update_keyword(conn, k.id, k.keyword, k.whole_word)
            if destroyed:
                await filter_store.delete_keywords(conn, filter_id, list(destroyed))
            await filter_store.insert_keywords(
                conn, filter_id, [(new_id(), k, True if whole is None else whole)
                                  for k, whole in added])
            await checks.record_change(conn, owner)
            saved = await checks.owned(conn, owner, filter_id)
        await checks.committed(self.cache, owner)
        return saved


class DeleteFilter:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: api.FilterRef) -> api.FilterRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            await filter_store.lock_filters_of(conn, req.account_id)
            found = await checks.owned(conn, req.account_id, req.id)
            await filter_store.delete_filter(conn, req.id)
            await checks.record_change(conn, req.account_id)
        await checks.committed(self.cache, req.account_id)
        return found
