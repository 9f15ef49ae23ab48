"""The notify service's NATS API."""

from __future__ import annotations

import asyncpg

from services.notify import store
from shared import errors
from shared.bus import ServiceHost
from shared.contracts import notify as api
from shared.records import NotificationRecord


def register(host: ServiceHost, pool: asyncpg.Pool) -> None:
    async def list_notifications(req: api.ListNotifications) -> api.Notifications:
        async with pool.acquire() as conn:
            return api.Notifications(notifications=await store.page(conn, req))

    async def get_notification(req: api.GetNotification) -> NotificationRecord:
        async with pool.acquire() as conn:
            found = await store.get(conn, req.account_id, req.id)
        if found is None:
            raise errors.NotFound("Record not found")
        return found

    async def dismiss(req: api.Dismiss) -> api.Done:
        async with pool.acquire() as conn:
            if req.id is None:
                result = await conn.execute(
                    "UPDATE notifications SET dismissed_at = now() WHERE account_id = $1 "
                    "AND dismissed_at IS NULL", req.account_id)
            else:
                result = await conn.execute(
                    "UPDATE notifications SET dismissed_at = now() WHERE account_id = $1 "
                    "AND id = $2 AND dismissed_at IS NULL", req.account_id, req.id)
                if result.endswith(" 0"):
                    raise errors.NotFound("Record not found")
        return api.Done(count=int(result.split()[-1]))

    async def unread_count(req: api.UnreadCount) -> api.Done:
        async with pool.acquire() as conn:
            count = await conn.fetchval(
                """
                SELECT count(*) FROM (
                    SELECT 1 FROM notifications n WHERE n.account_id = $1
                    AND n.dismissed_at IS NULL
                    AND n.id > coalesce((SELECT last_read_id FROM markers WHERE account_id = $1
                                         AND timeline = 'notifications'), 0)
                    AND (cardinality($3::text[]) = 0 OR n.type = ANY($3::text[]))
                    AND NOT (n.type = ANY($4::text[]))
                    LIMIT $2) AS unread
                """, req.account_id, max(1, min(req.limit, 1000)), req.types, req.exclude_types)
        return api.Done(count=count)

    async def get_markers(req: api.GetMarkers) -> api.Markers:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT timeline, last_read_id, version, "
                "(extract(epoch FROM updated_at) * 1000)::bigint AS updated_at FROM markers "
                "WHERE account_id = $1 AND timeline = ANY($2::text[])",
                req.account_id, req.timelines)
        return api.Markers(markers=[api.Marker(**dict(row)) for row in rows])

    async def set_markers(req: api.SetMarkers) -> api.Markers:
        unknown = set(req.positions) - {"home", "notifications"}
        if unknown:
            raise errors.Invalid(f"Validation failed: unknown timeline {sorted(unknown)[0]}")
        async with pool.acquire() as conn, conn.transaction():
            for timeline, last_read_id in req.positions.items():
                await conn.execute(
                    "INSERT INTO markers (account_id, timeline, last_read_id) VALUES ($1, $2, $3) "
                    "ON CONFLICT (account_id, timeline) DO UPDATE SET "
                    "last_read_id = EXCLUDED.last_read_id, version = markers.version + 1, "
                    "updated_at = now()", req.account_id, timeline, last_read_id)
        return await get_markers(api.GetMarkers(account_id=req.account_id,
                                                timelines=list(req.positions)))

    host.serve(api.NOTIFICATION_LIST, list_notifications)
    host.serve(api.NOTIFICATION_DISMISS, dismiss)
    host.serve(api.NOTIFICATION_UNREAD_COUNT, unread_count)
    host.serve(api.MARKERS_GET, get_markers)
    host.serve(api.MARKERS_SET, set_markers)
    host.serve(api.NOTIFICATION_GET, get_notification)
