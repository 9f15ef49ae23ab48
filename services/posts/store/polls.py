"""SQL for polls: votes, their counts, a changed poll starting over, and the polls that ended."""

from __future__ import annotations

import asyncpg


async def poll_status_id(conn: asyncpg.Connection, poll_id: int) -> int | None:
    status_id: int | None = await conn.fetchval(
        "SELECT status_id FROM polls WHERE id = $1", poll_id)
    return status_id


async def lock_poll(conn: asyncpg.Connection, poll_id: int) -> asyncpg.Record | None:
    """``id``, ``options``, ``multiple`` and ``expired`` of the poll, its row locked until the
    transaction ends: votes on one poll take turns, so no count is lost."""
    return await conn.fetchrow(
        "SELECT id, options, multiple, expires_at < now() AS expired FROM polls "
        "WHERE id = $1 FOR UPDATE", poll_id)


async def has_voted(conn: asyncpg.Connection, poll_id: int, account_id: int) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM poll_votes WHERE poll_id = $1 AND account_id = $2",
        poll_id, account_id))


async def add_votes(conn: asyncpg.Connection, poll_id: int, account_id: int,
                    choices: list[int]) -> None:
    """The account's votes (one per choice), then the poll's counts recounted from them."""
    await conn.executemany(
        "INSERT INTO poll_votes (poll_id, account_id, choice) VALUES ($1, $2, $3)",
        [(poll_id, account_id, c) for c in choices])
    await conn.execute(
        """
        UPDATE polls SET
            votes = (SELECT array_agg((SELECT count(*) FROM poll_votes v
                                       WHERE v.poll_id = polls.id AND v.choice = i - 1)
                                      ::int ORDER BY i)
                     FROM generate_subscripts(polls.options, 1) AS i),
            votes_count = votes_count + $2,
            voters_count = voters_count + 1
        WHERE id = $1
        """, poll_id, len(choices))


async def replace_poll(conn: asyncpg.Connection, status_id: int, *, poll_id: int,
                       options: list[str], multiple: bool, expires_in_s: float) -> None:
    """The status's poll, votes and all, replaced by a new one with no votes."""
    await conn.execute("DELETE FROM poll_votes WHERE poll_id IN "
                       "(SELECT id FROM polls WHERE status_id = $1)", status_id)
    await conn.execute("DELETE FROM polls WHERE status_id = $1", status_id)
    await conn.execute(
        "INSERT INTO polls (id, status_id, options, votes, multiple, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))",
        poll_id, status_id, options, [0] * len(options), multiple, expires_in_s)


# --- polls that ended ---------------------------------------------------------------------------

async def lock_ended_polls(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Up to 100 ended polls not announced yet (``id``, ``status_id``, the status's
    ``account_id``), soonest ended first, locked; polls another worker holds are skipped."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT p.id, p.status_id, s.account_id FROM polls p "
        "JOIN statuses s ON s.id = p.status_id "
        "WHERE NOT p.ended_announced AND p.expires_at <= now() "
        "ORDER BY p.expires_at LIMIT 100 FOR UPDATE OF p SKIP LOCKED")
    return rows


async def voter_ids(conn: asyncpg.Connection, poll_id: int) -> list[int]:
    rows = await conn.fetch("SELECT DISTINCT account_id FROM poll_votes WHERE poll_id = $1",
                            poll_id)
    return [row["account_id"] for row in rows]


async def mark_announced(conn: asyncpg.Connection, poll_id: int) -> None:
    await conn.execute("UPDATE polls SET ended_announced = true WHERE id = $1", poll_id)
