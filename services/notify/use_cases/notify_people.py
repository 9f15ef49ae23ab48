"""NotifyPeople: turn events into notifications for the people they concern, at most once each,
and push each new one to the recipient's live subject."""

from __future__ import annotations

import asyncpg
from nats.aio.client import Client as NATS

from services.notify import store
from shared import events, subjects
from shared.contracts import live
from shared.ids import new_id


class NotifyPeople:
    def __init__(self, pool: asyncpg.Pool, nc: NATS) -> None:
        self.pool = pool
        self.nc = nc

    async def __call__(self, event: events.AnyEvent) -> None:
        if isinstance(event, events.FollowCreated):
            await self._notify(event, event.followee_id, "follow", event.follower_id, None)
        elif isinstance(event, events.StatusCreated):
            for account_id in event.mentions:
                if account_id != event.account_id:
                    await self._notify(event, account_id, "mention", event.account_id,
                                       event.status_id)
        elif isinstance(event, events.StatusDeleted):
            async with self.pool.acquire() as conn:
                await conn.execute("DELETE FROM notifications WHERE status_id = $1",
                                   event.status_id)

    async def _notify(self, event: events.Event, recipient: int, type_: str, from_account: int,
                      status_id: int | None) -> None:
        notification_id = new_id()
        async with self.pool.acquire() as conn:
            created = await store.insert(
                conn, id=notification_id, account_id=recipient, type=type_,
                from_account_id=from_account, status_id=status_id,
                dedupe_key=f"{event.id}:{recipient}",
            )
        if created:
            await self.nc.publish(
                subjects.live_user(recipient),
                live.encode(live.LiveMessage(event="notification",
                                             notification_id=notification_id)),
            )
