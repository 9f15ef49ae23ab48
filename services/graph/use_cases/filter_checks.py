"""What every change to content filters shares: the checks on what a client sent (422 naming the
field, in Mastodon's words, before anything is written), the caps, and how a committed change
reaches readers.

How a change reaches readers: the change and a ``FiltersChanged`` event commit together (the
outbox); after the commit, the reader's cached set in Valkey is forgotten (its generation bumped
first, so a fill racing the change stores nothing: shared/viewer_cache.py). Every gateway reads
the set's stamp in a round trip each timeline read makes anyway, so the next read anywhere (any
replica) sees the change. Open streams hear the event (services/gateway/streaming/
fact_changes.py), reload the reader's filters and send ``filters_changed``.
"""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.store import filters as filter_store
from shared import errors, events, outbox, viewer_cache
from shared.contracts import filters as api


def _invalid(field: str, code: str, description: str, message: str) -> errors.Invalid:
    return errors.Invalid(f"Validation failed: {message}", {field: [(code, description)]})


def title(value: str | None, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    shown = (value or "").strip()
    if not shown:
        raise _invalid("title", errors.BLANK, "can't be blank", "Title can't be blank")
    if len(shown) > api.MAX_TITLE_CHARS:
        raise _invalid("title", errors.TOO_LONG, "is too long",
                       f"Title is too long (maximum is {api.MAX_TITLE_CHARS} characters)")
    return shown


def contexts(value: list[str] | None, *, required: bool) -> list[str] | None:
    if value is None and not required:
        return None
    found = list(dict.fromkeys(value or []))
    if not found:
        raise _invalid("context", errors.BLANK, "can't be blank", "Context can't be blank")
    unknown = [c for c in found if c not in api.CONTEXTS]
    if unknown:
        raise _invalid("context", errors.INCLUSION, "is not included in the list",
                       f"Context contains an invalid value ({', '.join(unknown)[:100]}); "
                       f"one of {', '.join(api.CONTEXTS)}")
    return found


def action(value: str | None) -> str | None:
    if value is not None and value not in api.ACTIONS:
        raise _invalid("filter_action", errors.INCLUSION, "is not included in the list",
                       f"Filter action is not included in the list ({', '.join(api.ACTIONS)})")
    return value


def expires_in(value: int | None) -> int | None:
    """Seconds from now (None: never), within ten years."""
    if value is not None and not 0 <= value <= api.MAX_EXPIRES_IN_S:
        raise _invalid("expires_in", errors.INVALID, "is invalid",
                       f"Expires in must be 0 to {api.MAX_EXPIRES_IN_S} seconds (ten years), "
                       "or empty for never")
    return value


def keyword(value: str | None, field: str = "keyword") -> str:
    """A keyword as written (matched as literal text, case aside), not blank, not too long."""
    if value is None or not value.strip():
        raise _invalid(field, errors.BLANK, "can't be blank", "Keyword can't be blank")
    if len(value) > api.MAX_KEYWORD_CHARS:
        raise _invalid(field, errors.TOO_LONG, "is too long",
                       f"Keyword is too long (maximum is {api.MAX_KEYWORD_CHARS} characters)")
    return value


def keyword_count(count: int, field: str = "keywords") -> None:
    if count > api.MAX_KEYWORDS:
        raise _invalid(field, errors.TOO_LONG, "too many",
                       f"a filter holds at most {api.MAX_KEYWORDS} keywords ({count} given); "
                       "nothing was saved")


async def keyword_budget(conn: asyncpg.Connection, owner_id: int, added: int, removed: int,
                         field: str = "keywords") -> None:
    """The owner's keywords together stay within MAX_KEYWORD_CHARS_TOTAL characters."""
    if added <= removed:
        return
    total = await filter_store.keyword_chars(conn, owner_id) - removed + added
    if total > api.MAX_KEYWORD_CHARS_TOTAL:
        raise _invalid(field, errors.TOO_LONG, "too long",
                       f"your filters' keywords may hold at most "
                       f"{api.MAX_KEYWORD_CHARS_TOTAL} characters in all; nothing was saved")


async def owned(conn: asyncpg.Connection, owner_id: int, filter_id: int) -> api.FilterRecord:
    """The owner's filter, else 404 (another account's filter is not told apart from none)."""
    found = await filter_store.owned_filter(conn, owner_id, filter_id)
    if found is None:
        raise errors.NotFound("Record not found")
    return found


async def record_change(conn: asyncpg.Connection, owner_id: int) -> None:
    """In the change's transaction: the event that tells open streams."""
    await outbox.add(conn, "graph", events.FiltersChanged(account_id=owner_id))


async def committed(cache: redis.Redis, owner_id: int) -> None:
    """After the commit: the reader's cached set is stale (see the module's docstring)."""
    await viewer_cache.forget_filters(cache, owner_id)
