"""SQL for lists: each belongs to one account and holds accounts it follows."""

from __future__ import annotations

import asyncpg

from shared.contracts.lists import ListRecord, ListTarget

_COLUMNS = "id, account_id, title, replies_policy, exclusive"


def _list(row: asyncpg.Record | None) -> ListRecord | None:
    return ListRecord(**dict(row)) if row else None


async def owned_list(conn: asyncpg.Connection, owner_id: int, list_id: int
                     ) -> ListRecord | None:
    return _list(await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM lists WHERE id = $1 AND account_id = $2", list_id, owner_id))


async def lock_lists_of(conn: asyncpg.Connection, owner_id: int) -> None:
    """Until the transaction ends: one list creation per owner at a time (the cap holds)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", owner_id)


async def lists_count(conn: asyncpg.Connection, owner_id: int) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM lists WHERE account_id = $1", owner_id)
    return count


async def insert_list(conn: asyncpg.Connection, list_id: int, owner_id: int, title: str,
                      replies_policy: str, exclusive: bool) -> ListRecord:
    row = await conn.fetchrow(
        f"INSERT INTO lists (id, account_id, title, replies_policy, exclusive) "
        f"VALUES ($1, $2, $3, $4, $5) RETURNING {_COLUMNS}",
        list_id, owner_id, title, replies_policy, exclusive)
    return ListRecord(**dict(row))


async def update_list(conn: asyncpg.Connection, list_id: int, owner_id: int, title: str,
                      replies_policy: str, exclusive: bool) -> ListRecord | None:
    return _list(await conn.fetchrow(
        f"UPDATE lists SET title = $3, replies_policy = $4, exclusive = $5 "
        f"WHERE id = $1 AND account_id = $2 RETURNING {_COLUMNS}",
        list_id, owner_id, title, replies_policy, exclusive))


async def delete_list(conn: asyncpg.Connection, list_id: int) -> None:
    await conn.execute("DELETE FROM lists WHERE id = $1", list_id)


async def lists_of(conn: asyncpg.Connection, owner_id: int, member_id: int | None = None
                   ) -> list[ListRecord]:
    """The owner's lists in id order; only those holding ``member_id`` when given."""
    if member_id is None:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM lists WHERE account_id = $1 ORDER BY id", owner_id)
    else:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM lists l WHERE account_id = $1 AND EXISTS "
            "(SELECT 1 FROM list_accounts m WHERE m.list_id = l.id "
            "AND m.account_id = $2) ORDER BY id", owner_id, member_id)
    return [ListRecord(**dict(row)) for row in rows]


async def list_member_ids(conn: asyncpg.Connection, list_id: int) -> list[int]:
    rows = await conn.fetch("SELECT account_id FROM list_accounts WHERE list_id = $1 "
                            "ORDER BY account_id", list_id)
    return [row["account_id"] for row in rows]


async def followed_among(conn: asyncpg.Connection, account_id: int, ids: list[int]) -> set[int]:
    rows = await conn.fetch(
        "SELECT followee_id FROM follows WHERE follower_id = $1 "
        "AND followee_id = ANY($2::bigint[])", account_id, ids)
    return {row["followee_id"] for row in rows}


async def add_list_members(conn: asyncpg.Connection, list_id: int, ids: list[int]) -> list[int]:
    """Those of ``ids`` that were not in the list."""
    rows = await conn.fetch(
        "INSERT INTO list_accounts (list_id, account_id) "
        "SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING RETURNING account_id",
        list_id, ids)
    return [row["account_id"] for row in rows]


async def listed_account_ids(conn: asyncpg.Connection) -> list[int]:
    """Every account in at least one list."""
    rows = await conn.fetch("SELECT DISTINCT account_id FROM list_accounts")
    return [row["account_id"] for row in rows]


async def remove_list_members(conn: asyncpg.Connection, list_id: int, ids: list[int]
                              ) -> list[int]:
    """Those of ``ids`` that were in the list."""
    rows = await conn.fetch(
        "DELETE FROM list_accounts WHERE list_id = $1 AND account_id = ANY($2::bigint[]) "
        "RETURNING account_id", list_id, ids)
    return [row["account_id"] for row in rows]


async def lists_containing(conn: asyncpg.Connection, account_id: int) -> list[ListTarget]:
    rows = await conn.fetch(
        "SELECT l.id, l.account_id FROM list_accounts m JOIN lists l ON l.id = m.list_id "
        "WHERE m.account_id = $1", account_id)
    return [ListTarget(list_id=row["id"], owner_id=row["account_id"]) for row in rows]
