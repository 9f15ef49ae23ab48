"""SQL for muted threads: who muted which thread (by its root, the statuses' conversation_id)."""

from __future__ import annotations

import asyncpg


async def mute(conn: asyncpg.Connection, account_id: int, conversation_id: int) -> None:
    await conn.execute("INSERT INTO thread_mutes (account_id, conversation_id) VALUES ($1, $2) "
                       "ON CONFLICT DO NOTHING", account_id, conversation_id)


async def unmute(conn: asyncpg.Connection, account_id: int, conversation_id: int) -> None:
    await conn.execute("DELETE FROM thread_mutes WHERE account_id = $1 AND conversation_id = $2",
                       account_id, conversation_id)


async def muted_among(conn: asyncpg.Connection, account_id: int, conversation_ids: list[int]
                      ) -> list[int]:
    rows = await conn.fetch(
        "SELECT conversation_id FROM thread_mutes WHERE account_id = $1 "
        "AND conversation_id = ANY($2::bigint[])", account_id, conversation_ids)
    return [row["conversation_id"] for row in rows]
