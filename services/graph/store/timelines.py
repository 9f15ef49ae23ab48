"""SQL that fanout, home reads and rebuilds ask of the graph: follower pages (plain, as one
array, packed), followees, account ids."""

from __future__ import annotations

import asyncpg


async def followers_count(conn: asyncpg.Connection, account_id: int) -> int:
    """The counter kept in the follow's own transaction: exact, and one row to read."""
    return await conn.fetchval("SELECT followers_count FROM accounts WHERE id = $1",
                               account_id) or 0


async def followees(conn: asyncpg.Connection, account_id: int) -> list[asyncpg.Record]:
    """Who the account follows: ``followee_id``, ``reblogs``, ``followers_count``."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT f.followee_id, f.reblogs, a.followers_count FROM follows f "
        "JOIN accounts a ON a.id = f.followee_id WHERE f.follower_id = $1", account_id)
    return rows


async def followees_above(conn: asyncpg.Connection, account_id: int, threshold: int
                          ) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT f.followee_id, f.reblogs FROM follows f JOIN accounts a ON a.id = f.followee_id "
        "WHERE f.follower_id = $1 AND a.followers_count > $2 ORDER BY f.followee_id",
        account_id, threshold)
    return rows


async def account_ids_page(conn: asyncpg.Connection, after_id: int, limit: int) -> list[int]:
    rows = await conn.fetch("SELECT id FROM accounts WHERE id > $1 ORDER BY id LIMIT $2",
                            after_id, limit)
    return [row["id"] for row in rows]


async def follower_ids_page(conn: asyncpg.Connection, account_id: int, after_id: int, limit: int,
                            *, reblogs_only: bool = False) -> list[int]:
    """Like ``follower_ids``, for fanout's hot path: one array instead of a row per follower,
    and an index-only scan of ``follows_followee`` unless reblogs matter."""
    if reblogs_only:
        ids: list[int] = await conn.fetchval(
            "SELECT coalesce(array_agg(follower_id ORDER BY follower_id), '{}') FROM ("
            "SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2 "
            "AND reblogs ORDER BY follower_id LIMIT $3) f", account_id, after_id, limit)
        return ids
    ids = await conn.fetchval(
        "SELECT coalesce(array_agg(follower_id ORDER BY follower_id), '{}') FROM ("
        "SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2 "
        "ORDER BY follower_id LIMIT $3) f", account_id, after_id, limit)
    return ids


# A page of follower ids as one bytea of big-endian 8-byte ids (the packed follower page of
# shared/contracts/graph): Postgres packs them, no Python int is made on this side.
_PACKED_PAGE = (
    "SELECT coalesce(string_agg(int8send(follower_id), ''::bytea ORDER BY follower_id), "
    "''::bytea) FROM (SELECT follower_id FROM follows WHERE followee_id = $1 "
    "AND follower_id > {after} {reblogs}ORDER BY follower_id LIMIT $2) f")
_PACKED = {reblogs: "SELECT (" + _PACKED_PAGE.format(after="$3", reblogs=filter_) + ")"
           for reblogs, filter_ in ((False, ""), (True, "AND reblogs "))}
# The first page, unless the followers are more than $3 (then NULL), and their count.
_COUNT_AND_FIRST_PACKED = {
    reblogs: "SELECT a.followers_count, CASE WHEN a.followers_count > $3 THEN NULL ELSE ("
             + _PACKED_PAGE.format(after="0", reblogs=filter_)
             + ") END FROM accounts a WHERE a.id = $1"
    for reblogs, filter_ in ((False, ""), (True, "AND reblogs "))}


async def follower_ids_packed(conn: asyncpg.Connection, account_id: int, after_id: int,
                              limit: int, *, reblogs_only: bool = False) -> bytes:
    """``follower_ids_page``, packed."""
    packed: bytes = await conn.fetchval(_PACKED[reblogs_only], account_id, limit, after_id)
    return packed


async def followers_count_and_packed(conn: asyncpg.Connection, account_id: int, limit: int,
                                     unless_above: int, *, reblogs_only: bool = False
                                     ) -> tuple[int, bytes | None]:
    """The count of followers and, unless they are more than ``unless_above`` (None), the
    first packed page: one round trip for fanout's first question about every post."""
    row = await conn.fetchrow(_COUNT_AND_FIRST_PACKED[reblogs_only], account_id, limit,
                              unless_above)
    if row is None:
        return 0, b""
    return row[0] or 0, row[1]
