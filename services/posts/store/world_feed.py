"""SQL for public feeds: the newest public statuses of opted-in scopes (the gateway names them,
from graph's opt-ins). Only public, undeleted, original statuses: never unlisted, private or
direct ones, and a reblog is someone else's words."""

from __future__ import annotations

import asyncpg

from services.posts.store.statuses import STATUS_SELECT, status_from_row
from shared.records import StatusRecord


async def world_feed(conn: asyncpg.Connection, account_ids: list[int], community_ids: list[int],
                     tag: str | None, limit: int) -> list[StatusRecord]:
    rows = await conn.fetch(
        f"{STATUS_SELECT} WHERE s.deleted_at IS NULL AND s.visibility = 'public' "
        "AND s.reblog_of_id IS NULL "
        "AND ((s.community_id IS NULL AND s.account_id = ANY($1::bigint[])) "
        "     OR s.community_id = ANY($2::bigint[])) "
        "AND ($3::text IS NULL OR $3 = ANY(s.tags)) "
        "ORDER BY s.id DESC LIMIT $4", account_ids, community_ids, tag, limit)
    return [status_from_row(row) for row in rows]
