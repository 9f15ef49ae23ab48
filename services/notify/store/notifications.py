"""SQL for the notifications table: writes, the plain (v1) list, dismissals and unread counts."""

from __future__ import annotations

import asyncpg

from services.notify.store.shown import Params, Shown
from shared.contracts.notify import ListNotifications
from shared.paging import id_window
from shared.records import NotificationRecord, NotificationType

COLUMNS = """id, account_id, type, from_account_id, status_id, community_id, group_key, filtered,
    (extract(epoch FROM created_at) * 1000)::bigint AS created_at"""

# A group reaches back at most this far: a notification joins the group of the last 12 hours, or
# starts its own (Mastodon's MAXIMUM_GROUP_SPAN_HOURS).
GROUP_SPAN_HOURS = 12


def group_prefix(type_: NotificationType, status_id: int | None) -> str | None:
    """What a notification groups by: favourites and reblogs of one status, follows; None for a
    type that stays alone (Mastodon's set_group_key!)."""
    if type_ in ("favourite", "reblog") and status_id is not None:
        return f"{type_}-{status_id}"
    if type_ == "follow":
        return type_
    return None


# A notification's row (parameters $1-$10: ``row_args``) with its group: a groupable one takes
# the group of the same kind begun within the last 12 hours (``<prefix>-<hour>``), found among
# the 12 keys such a group can have, or begins one at its own hour. Two notifications racing at
# a group's end may both begin one: the same key, since both take their own hour.
INSERT_COLUMNS = ("id, account_id, type, from_account_id, status_id, dedupe_key, community_id, "
                  "filtered, group_key")
ROW_VALUES = """$1, $2, $3, $4, $5, $6, $7, $8,
                CASE WHEN $9::text IS NOT NULL THEN coalesce(
                    (SELECT group_key FROM notifications WHERE account_id = $2
                        AND group_key = ANY($10::text[]) AND dismissed_at IS NULL
                        ORDER BY id DESC LIMIT 1),
                    $9::text) END"""
ROW_ARGS = 10


def row_args(*, id: int, account_id: int, type: NotificationType, from_account_id: int,
             status_id: int | None, dedupe_key: str, community_id: int | None = None,
             at_ms: int = 0, filtered: bool = False) -> list[object]:
    """The parameters of ``ROW_VALUES``."""
    prefix = group_prefix(type, status_id)
    hour = at_ms // 3_600_000
    recent = ([f"{prefix}-{h}" for h in range(hour - GROUP_SPAN_HOURS + 1, hour + 1)]
              if prefix is not None else [])
    return [id, account_id, type, from_account_id, status_id, dedupe_key, community_id, filtered,
            f"{prefix}-{hour}" if prefix is not None else None, recent]


_INSERT = (f"INSERT INTO notifications ({INSERT_COLUMNS}) VALUES ({ROW_VALUES}) "
           "ON CONFLICT (dedupe_key) DO NOTHING RETURNING true")


async def insert(conn: asyncpg.Connection, *, id: int, account_id: int, type: NotificationType,
                 from_account_id: int, status_id: int | None, dedupe_key: str,
                 community_id: int | None = None, at_ms: int = 0, filtered: bool = False
                 ) -> bool:
    """True when the row is new; False when this event already notified this account (its
    group as ``ROW_VALUES`` says)."""
    inserted = await conn.fetchval(_INSERT, *row_args(
        id=id, account_id=account_id, type=type, from_account_id=from_account_id,
        status_id=status_id, dedupe_key=dedupe_key, community_id=community_id, at_ms=at_ms,
        filtered=filtered))
    return bool(inserted)


def _notification(row: asyncpg.Record) -> NotificationRecord:
    return NotificationRecord(**dict(row))


def shown_by(req: ListNotifications) -> Shown:
    return Shown(account_id=req.account_id, types=req.types, exclude_types=req.exclude_types,
                 from_account_id=req.from_account_id, include_filtered=req.include_filtered,
                 exclude_from=req.exclude_from, group_key=req.group_key)


async def page(conn: asyncpg.Connection, req: ListNotifications) -> list[NotificationRecord]:
    params = Params()
    shown = shown_by(req).where(params)
    window = id_window("id", max_id=req.max_id, since_id=req.since_id, min_id=req.min_id,
                       limit=req.limit, max_limit=80, first_arg=len(params.args) + 1)
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM notifications n WHERE {shown('n')}{window.sql}",
        *params.args, *window.args,
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


async def dismiss_group(conn: asyncpg.Connection, account_id: int, group_key: str) -> int:
    """How many of the group's notifications were dismissed (0: no such group)."""
    params = Params()
    members = Shown(account_id=account_id, group_key=group_key).where(params)
    result = await conn.execute(
        f"UPDATE notifications n SET dismissed_at = now() WHERE {members('n')}", *params.args)
    return int(result.split()[-1])


async def unread_count(conn: asyncpg.Connection, shown: Shown, limit: int,
                       grouped_types: list[str]) -> int:
    """Notifications after the account's notifications marker, counted up to ``limit``; with
    ``grouped_types``, their groups (a group counts once, at its newest notification)."""
    params = Params()
    where = shown.where(params)
    account, grouped = params.add(shown.account_id), params.add(grouped_types)
    count: int = await conn.fetchval(
        f"""
        SELECT count(*) FROM (
            SELECT 1 FROM notifications n WHERE {where('n')}
            AND n.id > coalesce((SELECT last_read_id FROM markers WHERE account_id = {account}
                                 AND timeline = 'notifications'), 0)
            AND NOT (n.group_key IS NOT NULL AND n.type = ANY({grouped}::text[]) AND EXISTS (
                SELECT 1 FROM notifications m WHERE m.group_key = n.group_key AND m.id > n.id
                AND {where('m')}))
            LIMIT {params.add(limit)}) AS unread
        """, *params.args)
    return count


async def delete_for_status(conn: asyncpg.Connection, status_id: int) -> None:
    await conn.execute("DELETE FROM notifications WHERE status_id = $1", status_id)


async def delete_one(conn: asyncpg.Connection, status_id: int, type_: str, from_account_id: int
                     ) -> None:
    """Forget the notification of an undone action (an unfavourite, an unreblog)."""
    await conn.execute("DELETE FROM notifications WHERE status_id = $1 AND type = $2 "
                       "AND from_account_id = $3", status_id, type_, from_account_id)
