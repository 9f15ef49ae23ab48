"""SQL for the graph schema."""

from __future__ import annotations

import json

import asyncpg

from shared.records import AccountRecord

ACCOUNT_COLUMNS = """
    a.id, a.username, a.network_id, n.domain AS network_domain, a.display_name, a.note,
    a.locked, a.bot, a.discoverable, a.role, a.followers_count, a.following_count,
    a.statuses_count,
    (extract(epoch FROM a.created_at) * 1000)::bigint AS created_at,
    (extract(epoch FROM a.last_status_at) * 1000)::bigint AS last_status_at,
    a.fields::text AS fields, a.avatar_url, a.header_url, a.title, a.department,
    a.deactivated_at IS NOT NULL AS deactivated
"""


def account_from_row(row: asyncpg.Record) -> AccountRecord:
    values = dict(row)
    values["fields"] = json.loads(values["fields"]) if values["fields"] else []
    return AccountRecord(**values)


async def accounts_by_ids(conn: asyncpg.Connection, ids: list[int]) -> list[AccountRecord]:
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN networks n ON n.id = a.network_id "
        "WHERE a.id = ANY($1::bigint[])",
        ids,
    )
    return [account_from_row(row) for row in rows]


async def accounts_by_usernames(conn: asyncpg.Connection, usernames: list[str]
                                ) -> list[AccountRecord]:
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN networks n ON n.id = a.network_id "
        "WHERE lower(a.username) = ANY($1::text[])",
        [name.lower() for name in usernames],
    )
    return [account_from_row(row) for row in rows]


async def credentials(conn: asyncpg.Connection, login: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, password_hash FROM accounts WHERE lower(email) = $1 OR lower(username) = $1",
        login.strip().lower(),
    )


async def network_for_domain(conn: asyncpg.Connection, domain: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, invitation_only FROM networks WHERE domain = $1",
                               domain)


async def insert_network(conn: asyncpg.Connection, network_id: int, domain: str) -> int:
    """Create the network, or return the one a concurrent registration just created."""
    row = await conn.fetchrow(
        "INSERT INTO networks (id, domain, name) VALUES ($1, $2, $2) "
        "ON CONFLICT (domain) DO UPDATE SET domain = EXCLUDED.domain RETURNING id",
        network_id, domain,
    )
    return row["id"]


async def follow_row(conn: asyncpg.Connection, follower_id: int, followee_id: int
                     ) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT reblogs, notify FROM follows WHERE follower_id = $1 AND followee_id = $2",
        follower_id, followee_id,
    )


async def following_among(conn: asyncpg.Connection, account_id: int, ids: list[int]) -> dict:
    rows = await conn.fetch(
        "SELECT followee_id, reblogs, notify FROM follows "
        "WHERE follower_id = $1 AND followee_id = ANY($2::bigint[])",
        account_id, ids,
    )
    return {row["followee_id"]: row for row in rows}


async def followed_by_among(conn: asyncpg.Connection, account_id: int, ids: list[int]
                            ) -> set[int]:
    rows = await conn.fetch(
        "SELECT follower_id FROM follows "
        "WHERE followee_id = $1 AND follower_id = ANY($2::bigint[])",
        account_id, ids,
    )
    return {row["follower_id"] for row in rows}


async def follower_ids(conn: asyncpg.Connection, account_id: int, after_id: int, limit: int,
                       *, reblogs_only: bool = False) -> list[int]:
    rows = await conn.fetch(
        "SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2 "
        "AND (reblogs OR NOT $4) ORDER BY follower_id LIMIT $3",
        account_id, after_id, limit, reblogs_only,
    )
    return [row["follower_id"] for row in rows]


async def following_ids(conn: asyncpg.Connection, account_id: int) -> list[int]:
    rows = await conn.fetch("SELECT followee_id FROM follows WHERE follower_id = $1", account_id)
    return [row["followee_id"] for row in rows]


async def community_ids(conn: asyncpg.Connection, account_id: int) -> list[int]:
    rows = await conn.fetch("SELECT community_id FROM community_members WHERE account_id = $1",
                            account_id)
    return [row["community_id"] for row in rows]


async def blocked_either_way(conn: asyncpg.Connection, account_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT target_id AS other FROM blocks WHERE account_id = $1 "
        "UNION SELECT account_id FROM blocks WHERE target_id = $1", account_id)
    return [row["other"] for row in rows]


async def muted_ids(conn: asyncpg.Connection, account_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT target_id FROM mutes WHERE account_id = $1 "
        "AND (expires_at IS NULL OR expires_at > now())", account_id)
    return [row["target_id"] for row in rows]
