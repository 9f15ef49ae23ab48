"""SQL for follows: who follows whom, with which options."""

from __future__ import annotations

import asyncpg


async def follow_row(conn: asyncpg.Connection, follower_id: int, followee_id: int
                     ) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT reblogs, notify FROM follows WHERE follower_id = $1 AND followee_id = $2",
        follower_id, followee_id,
    )


async def following_among(conn: asyncpg.Connection, account_id: int, ids: list[int]
                          ) -> dict[int, asyncpg.Record]:
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
                       *, reblogs_only: bool = False, notify_only: bool = False) -> list[int]:
    if notify_only:
        # Its own statement, so that the plan uses the partial index (follows_notify).
        rows = await conn.fetch(
            "SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2 "
            "AND notify AND (reblogs OR NOT $4) ORDER BY follower_id LIMIT $3",
            account_id, after_id, limit, reblogs_only)
    else:
        rows = await conn.fetch(
            "SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2 "
            "AND (reblogs OR NOT $4) ORDER BY follower_id LIMIT $3",
            account_id, after_id, limit, reblogs_only)
    return [row["follower_id"] for row in rows]


async def belled_account_ids(conn: asyncpg.Connection) -> list[int]:
    """Every account with at least one follower who rang the bell (the partial index
    follows_notify holds exactly those follows)."""
    rows = await conn.fetch("SELECT DISTINCT followee_id FROM follows WHERE notify")
    return [row["followee_id"] for row in rows]


async def community_ids(conn: asyncpg.Connection, account_id: int) -> list[int]:
    rows = await conn.fetch("SELECT community_id FROM community_members WHERE account_id = $1",
                            account_id)
    return [row["community_id"] for row in rows]


# --- changing follows (inside the caller's transaction) ----------------------------------------

async def insert_follow(conn: asyncpg.Connection, follower_id: int, followee_id: int,
                        reblogs: bool, notify: bool) -> bool:
    """Insert the follow, or update its options; True only when the row is new."""
    return bool(await conn.fetchval(
        "INSERT INTO follows (follower_id, followee_id, reblogs, notify) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (follower_id, followee_id) "
        "DO UPDATE SET reblogs = EXCLUDED.reblogs, notify = EXCLUDED.notify "
        "RETURNING (xmax = 0)",  # true only for a new row
        follower_id, followee_id, reblogs, notify))


async def delete_follow(conn: asyncpg.Connection, follower_id: int, followee_id: int) -> bool:
    # Every way a follow ends (unfollow, block, removal) ends its endorsement too (Mastodon's
    # Follow#remove_endorsements): one may feature only whom one follows.
    return bool(await conn.fetchval(
        "WITH unpinned AS (DELETE FROM account_pins WHERE account_id = $1 AND target_id = $2) "
        "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2 RETURNING true",
        follower_id, followee_id))


async def add_to_follow_counts(conn: asyncpg.Connection, follower_id: int, followee_id: int,
                               delta: int) -> None:
    # Relative updates inside the follow's transaction: concurrent follows cannot lose a count.
    await conn.execute("UPDATE accounts SET following_count = following_count + $2 WHERE id = $1",
                       follower_id, delta)
    await conn.execute("UPDATE accounts SET followers_count = followers_count + $2 WHERE id = $1",
                       followee_id, delta)


async def insert_follow_request(conn: asyncpg.Connection, request_id: int, follower_id: int,
                                followee_id: int, reblogs: bool, notify: bool) -> bool:
    """True when the request is new."""
    return bool(await conn.fetchval(
        "INSERT INTO follow_requests (id, follower_id, followee_id, reblogs, notify) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (follower_id, followee_id) "
        "DO NOTHING RETURNING true",
        request_id, follower_id, followee_id, reblogs, notify))


async def take_follow_request(conn: asyncpg.Connection, follower_id: int, followee_id: int
                              ) -> asyncpg.Record | None:
    """Delete the pending request and return its ``reblogs`` and ``notify``, or None."""
    return await conn.fetchrow(
        "DELETE FROM follow_requests WHERE follower_id = $1 AND followee_id = $2 "
        "RETURNING reblogs, notify", follower_id, followee_id)


async def delete_follow_request(conn: asyncpg.Connection, follower_id: int, followee_id: int
                                ) -> None:
    await conn.execute("DELETE FROM follow_requests WHERE follower_id = $1 "
                       "AND followee_id = $2", follower_id, followee_id)


async def delete_follow_requests_between(conn: asyncpg.Connection, one: int, other: int
                                         ) -> None:
    await conn.execute(
        "DELETE FROM follow_requests WHERE (follower_id = $1 AND followee_id = $2) "
        "OR (follower_id = $2 AND followee_id = $1)", one, other)
