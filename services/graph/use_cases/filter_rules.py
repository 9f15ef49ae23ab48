"""A filter's rules one by one (Mastodon's /api/v2/filters/:id/keywords and /statuses, and
/api/v2/filters/keywords/:id, /statuses/:id): AddKeyword, UpdateKeyword, DeleteKeyword,
AddFilterStatus, DeleteFilterStatus. Each is the owner's only: another account's filter or rule
is a 404, as if there were none."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.store import filters as filter_store
from services.graph.use_cases import filter_checks as checks
from shared import errors
from shared.contracts import filters as api
from shared.ids import new_id


class _Change:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache


async def owned_keyword(conn: asyncpg.Connection, owner_id: int, keyword_id: int
                        ) -> api.KeywordFound:
    found = await filter_store.owned_keyword(conn, owner_id, keyword_id)
    if found is None:
        raise errors.NotFound("Record not found")
    return api.KeywordFound(keyword=found,
                            filter=await checks.owned(conn, owner_id, found.filter_id))


class AddKeyword(_Change):
    async def __call__(self, req: api.SaveKeyword) -> api.KeywordFound:
        keyword = checks.keyword(req.keyword)
        if req.filter_id is None:
            raise errors.NotFound("Record not found")
        async with self.pool.acquire() as conn, conn.transaction():
            await filter_store.lock_filters_of(conn, req.account_id)
            found = await checks.owned(conn, req.account_id, req.filter_id)
            checks.keyword_count(len(found.keywords) + 1)
            await checks.keyword_budget(conn, req.account_id, added=len(keyword), removed=0,
                                        field="keyword")
            keyword_id = new_id()
            await filter_store.insert_keywords(
                conn, found.id, [(keyword_id, keyword,
                                  True if req.whole_word is None else req.whole_word)])
            await checks.record_change(conn, req.account_id)
            added = await owned_keyword(conn, req.account_id, keyword_id)
        await checks.committed(self.cache, req.account_id)
        return added


class UpdateKeyword(_Change):
    async def __call__(self, req: api.SaveKeyword) -> api.KeywordFound:
        keyword = checks.keyword(req.keyword) if req.keyword is not None else None
        if req.id is None:
            raise errors.NotFound("Record not found")
        async with self.pool.acquire() as conn, conn.transaction():
            await filter_store.lock_filters_of(conn, req.account_id)
            found = await owned_keyword(conn, req.account_id, req.id)
            if keyword is not None:
                await checks.keyword_budget(conn, req.account_id, added=len(keyword),
                                            removed=len(found.keyword.keyword), field="keyword")
            await filter_store.update_keyword(conn, req.id, keyword, req.whole_word)
            await checks.record_change(conn, req.account_id)
            changed = await owned_keyword(conn, req.account_id, req.id)
        await checks.committed(self.cache, req.account_id)
        return changed


class DeleteKeyword(_Change):
    async def __call__(self, req: api.FilterRef) -> api.KeywordFound:
        async with self.pool.acquire() as conn, conn.transaction():
            await filter_store.lock_filters_of(conn, req.account_id)
            found = await owned_keyword(conn, req.account_id, req.id)
            await filter_store.delete_keywords(conn, found.filter.id, [req.id])
            await checks.record_change(conn, req.account_id)
        await checks.committed(self.cache, req.account_id)
        return found


class AddFilterStatus(_Change):
    async def __call__(self, req: api.AddFilterStatus) -> api.FilterStatus:
        async with self.pool.acquire() as conn, conn.transaction():
            await filter_store.lock_filters_of(conn, req.account_id)
            found = await checks.owned(conn, req.account_id, req.filter_id)
            if len(found.statuses) >= api.MAX_STATUSES or (
                    await filter_store.statuses_count(conn, req.account_id)
                    >= api.MAX_STATUSES_TOTAL):
                raise errors.Invalid(
                    f"Validation failed: a filter holds at most {api.MAX_STATUSES} statuses, "
                    f"your filters {api.MAX_STATUSES_TOTAL} in all",
                    {"status_id": [(errors.TOO_LONG, "too many")]})
            added = await filter_store.insert_filter_status(conn, new_id(), found.id,
                                                            req.status_id)
            if added is None:
                raise errors.Invalid("Validation failed: Status has already been taken",
                                     {"status_id": [(errors.TAKEN, "has already been taken")]})
            await checks.record_change(conn, req.account_id)
        await checks.committed(self.cache, req.account_id)
        return added


async def owned_filter_status(conn: asyncpg.Connection, owner_id: int, filter_status_id: int
                              ) -> api.FilterStatus:
    found = await filter_store.owned_filter_status(conn, owner_id, filter_status_id)
    if found is None:
        raise errors.NotFound("Record not found")
    return found


class DeleteFilterStatus(_Change):
    async def __call__(self, req: api.FilterRef) -> api.FilterStatus:
        async with self.pool.acquire() as conn, conn.transaction():
            await filter_store.lock_filters_of(conn, req.account_id)
            found = await owned_filter_status(conn, req.account_id, req.id)
            await filter_store.delete_filter_status(conn, req.id)
            await checks.record_change(conn, req.account_id)
        await checks.committed(self.cache, req.account_id)
        return found
