"""SQL for content filters: each belongs to one account and holds its rules (keywords and
statuses). Expiry is kept as a time and handed out in ms since the Unix epoch."""

from __future__ import annotations

import asyncpg

from shared.contracts.filters import FilterKeyword, FilterRecord, FilterStatus

_COLUMNS = ("id, account_id, title, context, action, "
            "(extract(epoch FROM expires_at) * 1000)::bigint AS expires_at")


async def lock_filters_of(conn: asyncpg.Connection, owner_id: int) -> None:
    """Until the transaction ends: one change to the owner's filters at a time (the caps on
    filters, keywords and statuses hold)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", owner_id)


async def _with_rules(conn: asyncpg.Connection, rows: list[asyncpg.Record]
                      ) -> list[FilterRecord]:
    """Filter rows with their keywords and statuses (two queries, whatever the count)."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    keywords: dict[int, list[FilterKeyword]] = {i: [] for i in ids}
    for row in await conn.fetch(
            "SELECT id, filter_id, keyword, whole_word FROM filter_keywords "
            "WHERE filter_id = ANY($1::bigint[]) ORDER BY id", ids):
        keywords[row["filter_id"]].append(FilterKeyword(**dict(row)))
    statuses: dict[int, list[FilterStatus]] = {i: [] for i in ids}
    for row in await conn.fetch(
            "SELECT id, filter_id, status_id FROM filter_statuses "
            "WHERE filter_id = ANY($1::bigint[]) ORDER BY id", ids):
        statuses[row["filter_id"]].append(FilterStatus(**dict(row)))
    return [FilterRecord(**dict(row), keywords=keywords[row["id"]],
                         statuses=statuses[row["id"]]) for row in rows]


async def filters_of(conn: asyncpg.Connection, owner_id: int) -> list[FilterRecord]:
    """The owner's filters in id order, expired ones too (Mastodon lists them)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM filters WHERE account_id = $1 ORDER BY id", owner_id)
    return await _with_rules(conn, rows)


async def active_filters(conn: asyncpg.Connection, owner_id: int) -> list[FilterRecord]:
    """The owner's filters that can match something now: not expired, with a rule."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM filters f WHERE account_id = $1 "
        "AND (expires_at IS NULL OR expires_at > now()) "
        "AND (EXISTS (SELECT 1 FROM filter_keywords k WHERE k.filter_id = f.id) "
        "OR EXISTS (SELECT 1 FROM filter_statuses s WHERE s.filter_id = f.id)) ORDER BY id",
        owner_id)
    return await _with_rules(conn, rows)


async def owned_filter(conn: asyncpg.Connection, owner_id: int, filter_id: int
                       ) -> FilterRecord | None:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM filters WHERE id = $1 AND account_id = $2", filter_id, owner_id)
    found = await _with_rules(conn, rows)
    return found[0] if found else None


async def filters_count(conn: asyncpg.Connection, owner_id: int) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM filters WHERE account_id = $1",
                                     owner_id)
    return count


async def insert_filter(conn: asyncpg.Connection, filter_id: int, owner_id: int, title: str,
                        context: list[str], action: str, expires_in: int | None) -> None:
    await conn.execute(
        "INSERT INTO filters (id, account_id, title, context, action, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, now() + $6::bigint * interval '1 second')",
        filter_id, owner_id, title, context, action, expires_in)


async def update_filter(conn: asyncpg.Connection, filter_id: int, *, title: str | None,
                        context: list[str] | None, action: str | None, set_expiry: bool,
                        expires_in: int | None) -> None:
    """What is given changes (None keeps); the expiry only with ``set_expiry``."""
    await conn.execute(
        "UPDATE filters SET title = coalesce($2, title), context = coalesce($3, context), "
        "action = coalesce($4, action), expires_at = CASE WHEN $5 "
        "THEN now() + $6::bigint * interval '1 second' ELSE expires_at END WHERE id = $1",
        filter_id, title, context, action, set_expiry, expires_in)


async def delete_filter(conn: asyncpg.Connection, filter_id: int) -> None:
    await conn.execute("DELETE FROM filters WHERE id = $1", filter_id)


# --- keywords ----------------------------------------------------------------------------------

async def owned_keyword(conn: asyncpg.Connection, owner_id: int, keyword_id: int
                        ) -> FilterKeyword | None:
    row = await conn.fetchrow(
        "SELECT k.id, k.filter_id, k.keyword, k.whole_word FROM filter_keywords k "
        "JOIN filters f ON f.id = k.filter_id WHERE k.id = $1 AND f.account_id = $2",
        keyword_id, owner_id)
    return FilterKeyword(**dict(row)) if row else None


async def keyword_chars(conn: asyncpg.Connection, owner_id: int) -> int:
    """The length of all the owner's keywords together (MAX_KEYWORD_CHARS_TOTAL)."""
    total: int = await conn.fetchval(
        "SELECT coalesce(sum(char_length(k.keyword)), 0) FROM filter_keywords k "
        "JOIN filters f ON f.id = k.filter_id WHERE f.account_id = $1", owner_id)
    return total


async def insert_keywords(conn: asyncpg.Connection, filter_id: int,
                          keywords: list[tuple[int, str, bool]]) -> None:
    """(id, keyword, whole_word) each."""
    if keywords:
        await conn.executemany(
            "INSERT INTO filter_keywords (id, filter_id, keyword, whole_word) "
            "VALUES ($1, $2, $3, $4)",
            [(i, filter_id, keyword, whole_word) for i, keyword, whole_word in keywords])


async def update_keyword(conn: asyncpg.Connection, keyword_id: int, keyword: str | None,
                         whole_word: bool | None) -> None:
    await conn.execute(
        "UPDATE filter_keywords SET keyword = coalesce($2, keyword), "
        "whole_word = coalesce($3, whole_word) WHERE id = $1", keyword_id, keyword, whole_word)


async def delete_keywords(conn: asyncpg.Connection, filter_id: int, ids: list[int]) -> None:
    await conn.execute("DELETE FROM filter_keywords WHERE filter_id = $1 "
                       "AND id = ANY($2::bigint[])", filter_id, ids)


# --- statuses ----------------------------------------------------------------------------------

async def owned_filter_status(conn: asyncpg.Connection, owner_id: int, filter_status_id: int
                              ) -> FilterStatus | None:
    row = await conn.fetchrow(
        "SELECT s.id, s.filter_id, s.status_id FROM filter_statuses s "
        "JOIN filters f ON f.id = s.filter_id WHERE s.id = $1 AND f.account_id = $2",
        filter_status_id, owner_id)
    return FilterStatus(**dict(row)) if row else None


async def statuses_count(conn: asyncpg.Connection, owner_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM filter_statuses s JOIN filters f ON f.id = s.filter_id "
        "WHERE f.account_id = $1", owner_id)
    return count


async def insert_filter_status(conn: asyncpg.Connection, filter_status_id: int, filter_id: int,
                               status_id: int) -> FilterStatus | None:
    """None when the filter holds the status already."""
    row = await conn.fetchrow(
        "INSERT INTO filter_statuses (id, filter_id, status_id) VALUES ($1, $2, $3) "
        "ON CONFLICT (filter_id, status_id) DO NOTHING RETURNING id, filter_id, status_id",
        filter_status_id, filter_id, status_id)
    return FilterStatus(**dict(row)) if row else None


async def delete_filter_status(conn: asyncpg.Connection, filter_status_id: int) -> None:
    await conn.execute("DELETE FROM filter_statuses WHERE id = $1", filter_status_id)
