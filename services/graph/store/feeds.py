"""SQL for public feeds: the opt-in flags of accounts and external communities."""

from __future__ import annotations

import asyncpg

from shared.contracts.feeds import FeedAccount, FeedCommunity


async def account_feed(conn: asyncpg.Connection, account_id: int) -> bool | None:
    """The account's flag, None when there is no such account."""
    found: bool | None = await conn.fetchval(
        "SELECT public_feed FROM accounts WHERE id = $1", account_id)
    return found


async def set_account_feed(conn: asyncpg.Connection, account_id: int, on: bool) -> bool | None:
    found: bool | None = await conn.fetchval(
        "UPDATE accounts SET public_feed = $2 WHERE id = $1 RETURNING public_feed",
        account_id, on)
    return found


async def community_feed(conn: asyncpg.Connection, community_id: int) -> bool:
    return bool(await conn.fetchval(
        "SELECT public_feed FROM communities WHERE id = $1", community_id))


async def set_community_feed(conn: asyncpg.Connection, community_id: int, on: bool) -> None:
    # ``external`` in the condition too: an internal community never holds the flag.
    await conn.execute(
        "UPDATE communities SET public_feed = $2 WHERE id = $1 AND external", community_id, on)


async def opted_in_accounts(conn: asyncpg.Connection, ids: list[int], usernames: list[str]
                            ) -> list[FeedAccount]:
    rows = await conn.fetch(
        "SELECT id, username FROM accounts WHERE public_feed "
        "AND (id = ANY($1::bigint[]) OR lower(username) = ANY($2::text[]))",
        ids, [name.lower() for name in usernames])
    return [FeedAccount(id=row["id"], username=row["username"]) for row in rows]


async def opted_in_communities(conn: asyncpg.Connection, ids: list[int]) -> list[FeedCommunity]:
    rows = await conn.fetch(
        "SELECT id, name, description FROM communities "
        "WHERE public_feed AND external AND id = ANY($1::bigint[])", ids)
    return [FeedCommunity(id=row["id"], name=row["name"], description=row["description"])
            for row in rows]


async def world(conn: asyncpg.Connection, limit: int) -> tuple[list[int], list[int]]:
    accounts = await conn.fetch(
        "SELECT id FROM accounts WHERE public_feed ORDER BY id DESC LIMIT $1", limit)
    communities = await conn.fetch(
        "SELECT id FROM communities WHERE public_feed AND external ORDER BY id DESC LIMIT $1",
        limit)
    return [row["id"] for row in accounts], [row["id"] for row in communities]
