"""The notify service's NATS API."""

from __future__ import annotations

import asyncpg

from services.notify import store
from services.notify.conversations import store as conversations
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
                count = await store.dismiss_all(conn, req.account_id)
            else:
                count = await store.dismiss(conn, req.account_id, req.id)
                if count == 0:
                    raise errors.NotFound("Record not found")
        return api.Done(count=count)

    async def unread_count(req: api.UnreadCount) -> api.Done:
        async with pool.acquire() as conn:
            count = await store.unread_count(conn, req.account_id, max(1, min(req.limit, 1000)),
                                             req.types, req.exclude_types)
        return api.Done(count=count)

    async def get_markers(req: api.GetMarkers) -> api.Markers:
        async with pool.acquire() as conn:
            found = await store.markers(conn, req.account_id, req.timelines)
        return api.Markers(markers=found)

    async def set_markers(req: api.SetMarkers) -> api.Markers:
        unknown = set(req.positions) - {"home", "notifications"}
        if unknown:
            raise errors.Invalid(f"Validation failed: unknown timeline {sorted(unknown)[0]}")
        async with pool.acquire() as conn, conn.transaction():
            for timeline, last_read_id in req.positions.items():
                await store.set_marker(conn, req.account_id, timeline, last_read_id)
        return await get_markers(api.GetMarkers(account_id=req.account_id,
                                                timelines=list(req.positions)))

    async def list_conversations(req: api.ListConversations) -> api.Conversations:
        async with pool.acquire() as conn:
            return api.Conversations(conversations=await conversations.page(conn, req))

    async def get_conversation(req: api.ConversationRef) -> api.ConversationRecord:
        async with pool.acquire() as conn:
            found = await conversations.get(conn, req.account_id, req.id)
        if found is None:  # none of this account's (someone else's answers the same)
            raise errors.NotFound("Record not found")
        return found

    async def read_conversation(req: api.ConversationRef) -> api.ConversationRecord:
        async with pool.acquire() as conn:
            if not await conversations.mark_read(conn, req.account_id, req.id):
                raise errors.NotFound("Record not found")
        return await get_conversation(req)

    async def remove_conversation(req: api.ConversationRef) -> api.Done:
        async with pool.acquire() as conn:
            if not await conversations.remove(conn, req.account_id, req.id):
                raise errors.NotFound("Record not found")
        return api.Done(count=1)

    host.serve(api.NOTIFICATION_LIST, list_notifications)
    host.serve(api.NOTIFICATION_DISMISS, dismiss)
    host.serve(api.NOTIFICATION_UNREAD_COUNT, unread_count)
    host.serve(api.MARKERS_GET, get_markers)
    host.serve(api.MARKERS_SET, set_markers)
    host.serve(api.NOTIFICATION_GET, get_notification)
    host.serve(api.CONVERSATION_LIST, list_conversations)
    host.serve(api.CONVERSATION_GET, get_conversation)
    host.serve(api.CONVERSATION_READ, read_conversation)
    host.serve(api.CONVERSATION_REMOVE, remove_conversation)
