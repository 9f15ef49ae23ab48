"""SQL for the posts schema."""

from __future__ import annotations

import asyncpg

from shared.records import StatusRecord

STATUS_COLUMNS = """
    id, account_id, network_id, text, content_html, visibility, spoiler_text, sensitive,
    language, in_reply_to_id, in_reply_to_account_id, reblog_of_id, community_id, mentions, tags,
    replies_count, reblogs_count, favourites_count,
    (extract(epoch FROM created_at) * 1000)::bigint AS created_at,
    (extract(epoch FROM edited_at) * 1000)::bigint AS edited_at
"""


def status_from_row(row: asyncpg.Record) -> StatusRecord:
    values = dict(row)
    values["mentions"] = tuple(values["mentions"])
    values["tags"] = tuple(values["tags"])
    return StatusRecord(**values)


async def statuses_by_ids(conn: asyncpg.Connection, ids: list[int]) -> list[StatusRecord]:
    rows = await conn.fetch(
        f"SELECT {STATUS_COLUMNS} FROM statuses WHERE id = ANY($1::bigint[]) "
        "AND deleted_at IS NULL",
        ids,
    )
    return [status_from_row(row) for row in rows]


async def recent_ids_by_author(conn: asyncpg.Connection, account_id: int, limit: int
                               ) -> list[int]:
    """The author's latest statuses that a follower's home timeline may hold: not direct
    messages (those go to the mentioned only) and not community posts (members only)."""
    rows = await conn.fetch(
        "SELECT id FROM statuses WHERE account_id = $1 AND deleted_at IS NULL "
        "AND visibility <> 'direct' AND community_id IS NULL "
        "ORDER BY id DESC LIMIT $2",
        account_id, limit,
    )
    return [row["id"] for row in rows]
