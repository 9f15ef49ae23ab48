"""Mastodon's v1 filters, kept for the clients that still use them, mapped onto v2 filters as
Mastodon maps them: a v1 filter is one keyword (its id is the keyword's) with its filter's
context, expiry and action (``irreversible``: hide). SaveV1Filter creates a filter titled by
the phrase, holding that one keyword; an update changes the keyword, and the filter too, unless
the filter holds other keywords (Mastodon refuses that: 422). DeleteV1Filter removes the keyword,
and its filter when nothing else is left in it."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.store import filters as filter_store
from services.graph.use_cases import filter_checks as checks
from services.graph.use_cases.filter_rules import owned_keyword
from shared import errors
from shared.contracts import filters as api
from shared.ids import new_id

SHARED_FILTER = ("Validation failed: these parameters cannot be changed from this application "
                 "because they apply to more than one filter keyword; use a more recent "
                 "application or the web interface")


def _action(irreversible: bool | None) -> str | None:
    return None if irreversible is None else ("hide" if irreversible else "warn")


class SaveV1Filter:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: api.SaveV1Filter) -> api.KeywordFound:
        creating = req.id is None
        phrase = (checks.keyword(req.phrase, "phrase")
                  if creating or req.phrase is not None else None)
        context = checks.contexts(req.context, required=creating)
        expires_in = checks.expires_in(req.expires_in) if req.set_expiry else None
        action = _action(req.irreversible)
        owner = req.account_id
        async with self.pool.acquire() as conn, conn.transaction():
            await filter_store.lock_filters_of(conn, owner)
            if req.id is None:
                assert phrase is not None and context is not None  # required above
                if await filter_store.filters_count(conn, owner) >= api.MAX_FILTERS:
                    raise errors.Invalid(f"Validation failed: at most {api.MAX_FILTERS} filters",
                                         {"filters": [(errors.TOO_LONG, "too many")]})
                await checks.keyword_budget(conn, owner, added=len(phrase), removed=0,
                                            field="phrase")
                filter_id, keyword_id = new_id(), new_id()
                # Titled by the phrase, as Mastodon does (cut to a title's length).
                await filter_store.insert_filter(
                    conn, filter_id, owner, phrase.strip()[:api.MAX_TITLE_CHARS], context,
                    action or "warn", expires_in)
                await filter_store.insert_keywords(
                    conn, filter_id, [(keyword_id, phrase,
                                       True if req.whole_word is None else req.whole_word)])
            else:
                keyword_id = req.id
                found = await owned_keyword(conn, owner, keyword_id)
                whole = found.filter
                # What the filter holds already is no change (clients send every field back).
                changes_filter = (
                    (context is not None and context != whole.context)
                    or (action is not None and action != whole.action)
                    or (req.set_expiry and not (expires_in is None and whole.expires_at is None)))
                if changes_filter and len(whole.keywords) > 1:
                    raise errors.Invalid(SHARED_FILTER)
                if phrase is not None:
                    await checks.keyword_budget(conn, owner, added=len(phrase),
                                                removed=len(found.keyword.keyword),
                                                field="phrase")
                await filter_store.update_keyword(conn, keyword_id, phrase, req.whole_word)
                await filter_store.update_filter(conn, whole.id, title=None, context=context,
                                                 action=action, set_expiry=req.set_expiry,
                                                 expires_in=expires_in)
            await checks.record_change(conn, owner)
            saved = await owned_keyword(conn, owner, keyword_id)
        await checks.committed(self.cache, owner)
        return saved


class DeleteV1Filter:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: api.FilterRef) -> api.KeywordFound:
        async with self.pool.acquire() as conn, conn.transaction():
            await filter_store.lock_filters_of(conn, req.account_id)
            found = await owned_keyword(conn, req.account_id, req.id)
            whole = found.filter
            if [k.id for k in whole.keywords] == [req.id] and not whole.statuses:
                await filter_store.delete_filter(conn, whole.id)  # nothing else left in it
            else:
                await filter_store.delete_keywords(conn, whole.id, [req.id])
            await checks.record_change(conn, req.account_id)
        await checks.committed(self.cache, req.account_id)
        return found
