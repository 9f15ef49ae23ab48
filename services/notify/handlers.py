"""The notify service's NATS API."""

from __future__ import annotations

import asyncpg
import msgspec

from services.notify import store
from services.notify.conversations import store as conversations
from shared import errors
from shared.contracts import notify as api
from shared.records import NotificationRecord
from shared.service_host import ServiceHost


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
            if req.group_key is not None:
                count = await store.dismiss_group(conn, req.account_id, req.group_key)
            elif req.id is None:
                return api.Done(count=await store.dismiss_all(conn, req.account_id))
            else:
                count = await store.dismiss(conn, req.account_id, req.id)
        if count == 0:
            raise errors.NotFound("Record not found")
        return api.Done(count=count)

    async def unread_count(req: api.UnreadCount) -> api.Done:
        shown = store.Shown(account_id=req.account_id, types=req.types,
                            exclude_types=req.exclude_types, from_account_id=req.from_account_id)
        grouped = store.groups.grouping(req.grouped_types) if req.grouped else []
        async with pool.acquire() as conn:
            count = await store.unread_count(conn, shown, max(1, min(req.limit, 1000)), grouped)
        return api.Done(count=count)

    async def groups(req: api.ListGroups) -> api.Groups:
        async with pool.acquire() as conn:
            return api.Groups(groups=await store.groups.page(conn, req))

    async def group(req: api.GetGroup) -> api.Groups:
        async with pool.acquire() as conn:
            found = await store.groups.group(conn, req)
        if found is None:
            raise errors.NotFound("Record not found")
        return api.Groups(groups=[found])

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

    async def get_policy(req: api.GetPolicy) -> api.PolicyReply:
        async with pool.acquire() as conn:
            return api.PolicyReply(policy=await store.policies.policy(conn, req.account_id),
                                   summary=await store.policies.summary(conn, req.account_id))

    async def set_policy(req: api.SetPolicy) -> api.PolicyReply:
        changes = {f: getattr(req, f) for f in api.POLICY_FIELDS if getattr(req, f) is not None}
        async with pool.acquire() as conn:
            async with conn.transaction():
                current = await store.policies.policy(conn, req.account_id)
                changed = msgspec.structs.replace(current, **changes)
                if changes:
                    await store.policies.save_policy(conn, req.account_id, changed)
            return api.PolicyReply(policy=changed,
                                   summary=await store.policies.summary(conn, req.account_id))

    async def list_requests(req: api.ListRequests) -> api.Requests:
        async with pool.acquire() as conn:
            return api.Requests(requests=await store.policies.requests_page(conn, req))

    async def get_request(req: api.GetRequest) -> api.NotificationRequest:
        async with pool.acquire() as conn:
            found = await store.policies.request(conn, req.account_id, req.id)
        if found is None:
            raise errors.NotFound("Record not found")
        return found

    async def accept_requests(req: api.AnswerRequests) -> api.Done:
        # Merged before the reply: a client asking /merged afterwards is always told true.
        async with pool.acquire() as conn:
            return api.Done(count=await store.policies.accept_requests(
                conn, req.account_id, list(set(req.ids))))

    async def dismiss_requests(req: api.AnswerRequests) -> api.Done:
        async with pool.acquire() as conn:
            return api.Done(count=await store.policies.dismiss_requests(
                conn, req.account_id, list(set(req.ids))))
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
    host.serve(api.NOTIFICATION_GROUPS, groups)
    host.serve(api.NOTIFICATION_GROUP, group)
    host.serve(api.MARKERS_GET, get_markers)
    host.serve(api.MARKERS_SET, set_markers)
    host.serve(api.NOTIFICATION_GET, get_notification)
    host.serve(api.POLICY_GET, get_policy)
    host.serve(api.POLICY_SET, set_policy)
    host.serve(api.REQUEST_LIST, list_requests)
    host.serve(api.REQUEST_GET, get_request)
    host.serve(api.REQUEST_ACCEPT, accept_requests)
    host.serve(api.REQUEST_DISMISS, dismiss_requests)
    host.serve(api.CONVERSATION_LIST, list_conversations)
    host.serve(api.CONVERSATION_GET, get_conversation)
    host.serve(api.CONVERSATION_READ, read_conversation)
    host.serve(api.CONVERSATION_REMOVE, remove_conversation)

    async def mute_thread(req: api.ThreadMute) -> api.MutedThreads:
        async with pool.acquire() as conn:
            await store.thread_mutes.mute(conn, req.account_id, req.conversation_id)
        return api.MutedThreads(conversation_ids=[req.conversation_id])

    async def unmute_thread(req: api.ThreadMute) -> api.MutedThreads:
        async with pool.acquire() as conn:
            await store.thread_mutes.unmute(conn, req.account_id, req.conversation_id)
        return api.MutedThreads(conversation_ids=[])

    async def muted_threads(req: api.ThreadsMuted) -> api.MutedThreads:
        async with pool.acquire() as conn:
            return api.MutedThreads(conversation_ids=await store.thread_mutes.muted_among(
                conn, req.account_id, req.conversation_ids[:200]))

    host.serve(api.THREAD_MUTE, mute_thread)
    host.serve(api.THREAD_UNMUTE, unmute_thread)
    host.serve(api.THREAD_MUTED, muted_threads)
