"""SQL for what accounts do to statuses: favourites, reblogs, bookmarks, pins, and the pages
and flags read from them."""

from __future__ import annotations

import asyncpg

from shared.contracts.posts import Page, PageItem
from shared.paging import id_window

# Who or what a page lists, from which rows: (FROM and WHERE on $1, listed column); all paged
# by the row's id. Constants of this module only.
_PAGES = {
    "favourited_by": ("favourites WHERE status_id = $1", "account_id"),
    "reblogged_by": ("statuses WHERE deleted_at IS NULL AND reblog_of_id = $1", "account_id"),
    "favourites": ("favourites WHERE account_id = $1", "status_id"),
    "bookmarks": ("bookmarks WHERE account_id = $1", "status_id"),
}


async def _page(conn: asyncpg.Connection, kind: str, key: int, page: Page) -> list[PageItem]:
    rows_from, item = _PAGES[kind]
    window = id_window("id", max_id=page.max_id, since_id=page.since_id, min_id=page.min_id,
                       limit=page.limit, max_limit=80, first_arg=2)
    rows = await conn.fetch(
        f"SELECT id AS cursor, {item} AS id FROM {rows_from}{window.sql}", key, *window.args)
    return window.newest_first([PageItem(cursor=row["cursor"], id=row["id"]) for row in rows])


async def favourited_by_page(conn: asyncpg.Connection, status_id: int, page: Page
                             ) -> list[PageItem]:
    return await _page(conn, "favourited_by", status_id, page)


async def reblogged_by_page(conn: asyncpg.Connection, status_id: int, page: Page
                            ) -> list[PageItem]:
    return await _page(conn, "reblogged_by", status_id, page)


async def favourites_page(conn: asyncpg.Connection, account_id: int, page: Page
                          ) -> list[PageItem]:
    return await _page(conn, "favourites", account_id, page)


async def bookmarks_page(conn: asyncpg.Connection, account_id: int, page: Page
                         ) -> list[PageItem]:
    return await _page(conn, "bookmarks", account_id, page)


# --- the viewer's flags on statuses -------------------------------------------------------------

async def _column(conn: asyncpg.Connection, sql: str, account_id: int, ids: list[int]
                  ) -> list[int]:
    return [row[0] for row in await conn.fetch(sql, account_id, ids)]


async def favourited_among(conn: asyncpg.Connection, account_id: int, ids: list[int]
                           ) -> list[int]:
    return await _column(conn, "SELECT status_id FROM favourites WHERE account_id = $1 "
                         "AND status_id = ANY($2::bigint[])", account_id, ids)


async def reblogged_among(conn: asyncpg.Connection, account_id: int, ids: list[int]
                          ) -> list[int]:
    return await _column(conn, "SELECT reblog_of_id FROM statuses WHERE account_id = $1 "
                         "AND deleted_at IS NULL AND reblog_of_id = ANY($2::bigint[])",
                         account_id, ids)


async def bookmarked_among(conn: asyncpg.Connection, account_id: int, ids: list[int]
                           ) -> list[int]:
    return await _column(conn, "SELECT status_id FROM bookmarks WHERE account_id = $1 "
                         "AND status_id = ANY($2::bigint[])", account_id, ids)


async def pinned_among(conn: asyncpg.Connection, account_id: int, ids: list[int]) -> list[int]:
    return await _column(conn, "SELECT status_id FROM pins WHERE account_id = $1 "
                         "AND status_id = ANY($2::bigint[])", account_id, ids)


async def poll_votes_among(conn: asyncpg.Connection, account_id: int, ids: list[int]
                           ) -> list[asyncpg.Record]:
    """The account's votes in the polls of ``ids``: ``poll_id``, ``status_id``, ``choices``."""
    return await conn.fetch(
        "SELECT v.poll_id, p.status_id, array_agg(v.choice ORDER BY v.choice) AS choices "
        "FROM poll_votes v JOIN polls p ON p.id = v.poll_id "
        "WHERE v.account_id = $1 AND p.status_id = ANY($2::bigint[]) "
        "GROUP BY v.poll_id, p.status_id", account_id, ids)
