"""KeepConversations: each participant's direct conversations, kept from posts' status events,
and each change told to the participant's live ``direct`` stream.

Why here, in notify, on a durable of its own (``notify-conversations``): a conversation row is
per reader, with a state only that reader changes (unread, removed), like a notification, and
notify already turns status events into per-recipient state and pushes it live; posts owns the
statuses and their thread (it stamps each with its ``conversation_id``, the thread's root, and
the event carries it), but not who has read what. The durable is apart from ``notify``'s so
that a slow notification path (bells paging followers) never holds up a direct message.

Idempotent and order-free: a status is added to each participant's conversation once (a
redelivery finds it there and changes nothing, and tells no one again); a deletion removes it
from every conversation holding it and records the deletion, so that a creation redelivered
or arriving late adds nothing back. The conversation's last status and participants are always
recomputed from the statuses it holds (conversations/store.py).
"""

from __future__ import annotations

import asyncpg
from nats.aio.client import Client as NATS

from services.notify.conversations import store
from shared import events, policy, subjects
from shared.contracts import live
from shared.routing import EventRoutes


class KeepConversations:
    def __init__(self, pool: asyncpg.Pool, nc: NATS) -> None:
        self.pool = pool
        self.nc = nc

    def routes(self) -> EventRoutes:
        return (EventRoutes()
                .on(events.StatusCreated, self.status_created,
                    where={"kind": "status", "visibility": "direct"})
                .on(events.StatusDeleted, self.status_deleted))

    async def status_created(self, event: events.StatusCreated) -> None:
        if event.visibility != policy.DIRECT or event.reblog_of_id is not None:
            return
        # Who takes part: its author and everyone it mentions (whom the policy lets see it).
        participants = sorted({event.account_id, *event.mentions})
        conversation_id = event.conversation_id or event.status_id
        changed: list[tuple[int, int, int]] = []
        async with self.pool.acquire() as conn, conn.transaction():
            await store.hold_status(conn, event.status_id)
            if await store.was_deleted(conn, event.status_id):
                return
            for account_id in participants:  # ascending: the order rows are locked in
                await store.lock_conversation(conn, account_id, conversation_id,
                                              event.status_id, participants)
                if not await store.add_status(conn, account_id, conversation_id,
                                              event.status_id, participants):
                    continue  # there already: a redelivery
                last = await store.summarize(conn, account_id, conversation_id,
                                             added=event.status_id,
                                             unread=account_id != event.account_id)
                if last is not None:
                    changed.append((account_id, conversation_id, last))
        await self._tell(changed)

    async def status_deleted(self, event: events.StatusDeleted) -> None:
        if event.visibility != policy.DIRECT:
            return
        changed: list[tuple[int, int, int]] = []
        async with self.pool.acquire() as conn, conn.transaction():
            await store.hold_status(conn, event.status_id)
            await store.record_deleted(conn, event.status_id)
            for account_id, conversation_id in await store.remove_status(conn, event.status_id):
                if not await store.lock_existing(conn, account_id, conversation_id):
                    continue
                last = await store.summarize(conn, account_id, conversation_id)
                if last is not None:  # moved back to the status before
                    changed.append((account_id, conversation_id, last))
        await self._tell(changed)

    async def _tell(self, changed: list[tuple[int, int, int]]) -> None:
        """After the commit, each (account, conversation, last status) changed: the account's
        gateway renders the conversation as the REST API shows it (at most once: a participant
        who misses it catches up by REST)."""
        for account_id, conversation_id, last_status_id in changed:
            await self.nc.publish(subjects.live_user(account_id), live.encode(live.LiveMessage(
                event="conversation", conversation_id=conversation_id,
                status_id=last_status_id)))
