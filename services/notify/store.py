"""SQL for the notify schema."""

from __future__ import annotations

import asyncpg

from shared.contracts.notify import ListNotifications, Marker
from shared.paging import id_window
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


def _notification(row: asyncpg.Record) -> NotificationRecord:
    return NotificationRecord(**dict(row))


async def page(conn: asyncpg.Connection, req: ListNotifications) -> list[NotificationRecord]:
    clauses = ["account_id = $1", "dismissed_at IS NULL"]
    args: list[object] = [req.account_id]

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    if req.types:
        clauses.append(f"type = ANY({arg(list(req.types))}::text[])")
    if req.exclude_types:
        clauses.append(f"NOT (type = ANY({arg(list(req.exclude_types))}::text[]))")
    if req.from_account_id is not None:
        clauses.append(f"from_account_id = {arg(req.from_account_id)}")
    window = id_window("id", max_id=req.max_id, since_id=req.since_id, min_id=req.min_id,
                       limit=req.limit, max_limit=80, first_arg=len(args) + 1)
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM notifications WHERE {' AND '.join(clauses)}{window.sql}",
        *args, *window.args,
    )
    return window.newest_first([_notification(row) for row in rows])


async def get(conn: asyncpg.Connection, account_id: int, notification_id: int
              ) -> NotificationRecord | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM notifications WHERE id = $1 AND account_id = $2 "
        "AND dismissed_at IS NULL",
        notification_id, account_id,
    )
    return _notification(row) if row else None


async def dismiss_all(conn: asyncpg.Connection, account_id: int) -> int:
    """How many notifications were dismissed."""
    result = await conn.execute(
        "UPDATE notifications SET dismissed_at = now() WHERE account_id = $1 "
        "AND dismissed_at IS NULL", account_id)
    return int(result.split()[-1])


async def dismiss(conn: asyncpg.Connection, account_id: int, notification_id: int) -> int:
    """1 when the notification was dismissed, 0 when there is none to dismiss."""
    result = await conn.execute(
        "UPDATE notifications SET dismissed_at = now() WHERE account_id = $1 "
        "AND id = $2 AND dismissed_at IS NULL", account_id, notification_id)
    return int(result.split()[-1])


async def unread_count(conn: asyncpg.Connection, account_id: int, limit: int,
                       types: list[str], exclude_types: list[str]) -> int:
    """Notifications after the account's notifications marker, counted up to ``limit``; of
    ``types`` only when given, never of ``exclude_types``."""
    count: int = await conn.fetchval(
        """
        SELECT count(*) FROM (
            SELECT 1 FROM notifications n WHERE n.account_id = $1
            AND n.dismissed_at IS NULL
            AND n.id > coalesce((SELECT last_read_id FROM markers WHERE account_id = $1
                                 AND timeline = 'notifications'), 0)
            AND (cardinality($3::text[]) = 0 OR n.type = ANY($3::text[]))
            AND NOT (n.type = ANY($4::text[]))
            LIMIT $2) AS unread
        """, account_id, limit, types, exclude_types)
    return count


async def delete_for_status(conn: asyncpg.Connection, status_id: int) -> None:
    await conn.execute("DELETE FROM notifications WHERE status_id = $1", status_id)


async def delete_one(conn: asyncpg.Connection, status_id: int, type_: str, from_account_id: int
                     ) -> None:
    """Forget the notification of an undone action (an unfavourite, an unreblog)."""
    await conn.execute("DELETE FROM notifications WHERE status_id = $1 AND type = $2 "
                       "AND from_account_id = $3", status_id, type_, from_account_id)


# --- markers ------------------------------------------------------------------------------------

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
