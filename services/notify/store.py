"""SQL for the notify schema."""

from __future__ import annotations

import asyncpg

from shared.contracts.notify import ListNotifications
from shared.records import NotificationRecord, NotificationType

COLUMNS = """id, account_id, type, from_account_id, status_id, community_id,
    (extract(epoch FROM created_at) * 1000)::bigint AS created_at"""


async def insert(conn: asyncpg.Connection, *, id: int, account_id: int, type: NotificationType,
                 from_account_id: int, status_id: int | None, dedupe_key: str,
                 community_id: int | None = None) -> bool:
    """True when the row is new; False when this event already notified this account."""
    inserted = await conn.fetchval(
        "INSERT INTO notifications (id, account_id, type, from_account_id, status_id, dedupe_key, "
        "community_id) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING true",
        id, account_id, type, from_account_id, status_id, dedupe_key, community_id,
    )
    return bool(inserted)


async def page(conn: asyncpg.Connection, req: ListNotifications) -> list[NotificationRecord]:
    clauses = ["account_id = $1", "dismissed_at IS NULL"]
    args: list[object] = [req.account_id]

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    if req.max_id is not None:
        clauses.append(f"id < {arg(req.max_id)}")
    if req.since_id is not None:
        clauses.append(f"id > {arg(req.since_id)}")
    if req.min_id is not None:
        clauses.append(f"id > {arg(req.min_id)}")
    if req.types:
        clauses.append(f"type = ANY({arg(list(req.types))}::text[])")
    if req.exclude_types:
        clauses.append(f"NOT (type = ANY({arg(list(req.exclude_types))}::text[]))")
    if req.from_account_id is not None:
        clauses.append(f"from_account_id = {arg(req.from_account_id)}")
    order = "ASC" if req.min_id is not None and req.max_id is None else "DESC"
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM notifications WHERE {' AND '.join(clauses)} "
        f"ORDER BY id {order} LIMIT {arg(max(1, min(req.limit, 80)))}",
        *args,
    )
    records = [NotificationRecord(**dict(row)) for row in rows]
    if order == "ASC":
        records.reverse()
    return records


async def get(conn: asyncpg.Connection, account_id: int, notification_id: int
              ) -> NotificationRecord | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM notifications WHERE id = $1 AND account_id = $2 "
        "AND dismissed_at IS NULL",
        notification_id, account_id,
    )
    return NotificationRecord(**dict(row)) if row else None
