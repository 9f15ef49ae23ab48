"""SQL for followed hashtags."""

from __future__ import annotations

import asyncpg

from shared.contracts.graph import IdPage
from shared.paging import id_window


async def follow_tag(conn: asyncpg.Connection, account_id: int, tag: str, follow_id: int
                     ) -> bool:
    """True if the account did not follow the tag before."""
    return bool(await conn.fetchval(
        "INSERT INTO followed_tags (account_id, tag, id) VALUES ($1, $2, $3) "
        "ON CONFLICT (account_id, tag) DO NOTHING RETURNING true", account_id, tag, follow_id))


async def all_followed_tags(conn: asyncpg.Connection) -> list[str]:
    """Every hashtag someone follows."""
    rows = await conn.fetch("SELECT DISTINCT tag FROM followed_tags")
    return [row["tag"] for row in rows]


async def unfollow_tag(conn: asyncpg.Connection, account_id: int, tag: str) -> None:
    await conn.execute("DELETE FROM followed_tags WHERE account_id = $1 AND tag = $2",
                       account_id, tag)


async def followed_tag_id(conn: asyncpg.Connection, account_id: int, tag: str) -> int | None:
    tag_id: int | None = await conn.fetchval(
        "SELECT id FROM followed_tags WHERE account_id = $1 AND tag = $2", account_id, tag)
    return tag_id


async def followed_tags_page(conn: asyncpg.Connection, account_id: int, page: IdPage
                             ) -> list[asyncpg.Record]:
    window = id_window("id", max_id=page.max_id, since_id=page.since_id, min_id=page.min_id,
                       limit=page.limit, max_limit=200, first_arg=2)
    rows = await conn.fetch(
        f"SELECT id, tag FROM followed_tags WHERE account_id = $1{window.sql}",
        account_id, *window.args)
    return window.newest_first(rows)


async def followed_tags(conn: asyncpg.Connection, account_id: int) -> list[str]:
    rows = await conn.fetch("SELECT tag FROM followed_tags WHERE account_id = $1", account_id)
    return [row["tag"] for row in rows]


async def tag_follower_ids(conn: asyncpg.Connection, tags: list[str], network_id: int
                           ) -> list[int]:
    """The active accounts of the network that follow any of ``tags``."""
    rows = await conn.fetch(
        "SELECT DISTINCT f.account_id FROM followed_tags f "
        "JOIN accounts a ON a.id = f.account_id "
        "WHERE f.tag = ANY($1::text[]) AND a.network_id = $2 AND a.active",
        tags, network_id)
    return [row["account_id"] for row in rows]
