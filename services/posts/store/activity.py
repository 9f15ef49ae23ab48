"""SQL for a network's activity on a range of days (its admins' dashboard: Mastodon's measures,
dimensions and retention). Days are UTC."""

from __future__ import annotations

import datetime as dt

import asyncpg

_DAY = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def bounds(start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    first = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC)
    last = dt.datetime.fromisoformat(end).replace(tzinfo=dt.UTC) + dt.timedelta(days=1)
    return first, last


async def active_ids_by_day(conn: asyncpg.Connection, network_id: int, start: str, end: str
                            ) -> dict[str, list[int]]:
    first, last = bounds(start, end)
    rows = await conn.fetch(
        f"SELECT {_DAY} AS day, array_agg(DISTINCT account_id) AS ids FROM ("
        "SELECT account_id, created_at FROM statuses WHERE network_id = $1 "
        "AND created_at >= $2 AND created_at < $3 AND deleted_at IS NULL "
        "UNION ALL SELECT f.account_id, f.created_at FROM favourites f "
        "JOIN statuses s ON s.id = f.status_id WHERE s.network_id = $1 "
        "AND f.created_at >= $2 AND f.created_at < $3) acts GROUP BY day",
        network_id, first, last)
    return {r["day"]: sorted(r["ids"]) for r in rows}


async def interactions_by_day(conn: asyncpg.Connection, network_id: int, start: str, end: str
                              ) -> dict[str, int]:
    first, last = bounds(start, end)
    rows = await conn.fetch(
        f"SELECT {_DAY} AS day, count(*) AS n FROM ("
        "SELECT f.created_at FROM favourites f JOIN statuses s ON s.id = f.status_id "
        "WHERE s.network_id = $1 AND f.created_at >= $2 AND f.created_at < $3 "
        "UNION ALL SELECT created_at FROM statuses WHERE network_id = $1 "
        "AND (reblog_of_id IS NOT NULL OR in_reply_to_id IS NOT NULL) "
        "AND created_at >= $2 AND created_at < $3 AND deleted_at IS NULL) acts GROUP BY day",
        network_id, first, last)
    return {r["day"]: int(r["n"]) for r in rows}


async def languages(conn: asyncpg.Connection, network_id: int, start: str, end: str,
                    limit: int = 20) -> dict[str, int]:
    first, last = bounds(start, end)
    rows = await conn.fetch(
        "SELECT coalesce(language, 'und') AS lang, count(*) AS n FROM statuses "
        "WHERE network_id = $1 AND created_at >= $2 AND created_at < $3 "
        "AND reblog_of_id IS NULL AND deleted_at IS NULL "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $4", network_id, first, last, limit)
    return {r["lang"]: int(r["n"]) for r in rows}
