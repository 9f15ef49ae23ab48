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

    host.add("notification.list", api.ListNotifications, list_notifications)
    host.add("notification.get", api.GetNotification, get_notification)
