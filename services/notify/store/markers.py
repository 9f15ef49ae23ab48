"""SQL for read positions (Mastodon's markers) of the home timeline and notifications."""

from __future__ import annotations

import asyncpg

from shared.contracts.notify import Marker


async def markers(conn: asyncpg.Connection, account_id: int, timelines: list[str]
                  ) -> list[Marker]:
    rows = await conn.fetch(
        "SELECT timeline, last_read_id, version, "
        "(extract(epoch FROM updated_at) * 1000)::bigint AS updated_at FROM markers "
        "WHERE account_id = $1 AND timeline = ANY($2::text[])", account_id, timelines)
    return [Marker(**dict(row)) for row in rows]


async def set_marker(conn: asyncpg.Connection, account_id: int, timeline: str,
                     last_read_id: int) -> None:
    await conn.execute(
        "INSERT INTO markers (account_id, timeline, last_read_id) VALUES ($1, $2, $3) "
        "ON CONFLICT (account_id, timeline) DO UPDATE SET "
        "last_read_id = EXCLUDED.last_read_id, version = markers.version + 1, "
        "updated_at = now()", account_id, timeline, last_read_id)
