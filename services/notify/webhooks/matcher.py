"""notify's webhook consumer (``notify-webhooks``, a durable shared by every replica): which
webhooks hear of an event, and a delivery row for each, rendered once (render.py) and sent by
the sender (sender.py). Idempotent: a delivery is unique per (event, webhook, type), so a
redelivered event records nothing twice and sends nothing twice.

Who hears what (never a direct message, never a followers-only status outside a community):
- a community's webhooks: its statuses (created, edited, deleted) but direct ones, the mentions
  in them, members joining and leaving;
- a network's webhooks: its public and unlisted statuses outside communities and the mentions
  in them, its members joining and leaving any community (the member's home network), follows
  made by its members."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS

from services.notify.webhooks import render
from services.notify.webhooks import store as hook_store
from services.notify.webhooks.sender import WebhookSender
from shared import events
from shared.ids import new_id
from shared.routing import EventRoutes
from shared.settings import Settings

DURABLE = "notify-webhooks"
NETWORK_VISIBLE = ("public", "unlisted")

Data = dict[str, Any] | None


def status_scope(visibility: str, network_id: int, community_id: int | None
                 ) -> tuple[int | None, int | None]:
    """(the network whose webhooks hear of the status, the community whose do)."""
    if community_id is not None:
        return None, (community_id if visibility != "direct" else None)
    return (network_id or None) if visibility in NETWORK_VISIBLE else None, None


class WebhookMatcher:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, nc: NATS,
                 sender: WebhookSender) -> None:
        self.settings = settings
        self.pool = pool
        self.nc = nc
        self.sender = sender
        self.base_url = settings.base_url

    def routes(self) -> EventRoutes:
        return (EventRoutes()
                # Statuses where a webhook may listen (posts asked notify's index): most
                # are in places none does, and are not even handed to this consumer.
                .on(events.StatusCreated, self.status_created,
                    where={"kind": "status", "hooks": "hooked"})
                .on(events.StatusUpdated, self.status_updated)
                .on(events.StatusDeleted, self.status_deleted)
                .on(events.CommunityJoined, self.member_joined)
                .on(events.CommunityLeft, self.member_left)
                .on(events.FollowCreated, self.follow_created))

    async def _subscribed(self, *types: str, network_id: int | None = None,
                          community_id: int | None = None, anywhere: bool = False) -> bool:
        async with self.pool.acquire() as conn:
            return await hook_store.any_subscribed(conn, list(types), network_id, community_id,
                                                   anywhere=anywhere)

    async def _deliver(self, event: events.Event, type_: str, network_id: int | None,
                       community_id: int | None, data: Callable[[], Awaitable[Data]]) -> None:
        if network_id is None and community_id is None:
            return
        async with self.pool.acquire() as conn:
            hooks = await hook_store.matching(conn, type_, network_id, community_id)
        if not hooks:
            return
        found = await data()
        if found is None:
            return  # gone meanwhile (a status deleted, an account removed): nothing to tell
        body = render.body(type_, event.occurred_at, found)
        recorded = False
        async with self.pool.acquire() as conn:
            for hook in hooks:
                made = await hook_store.record(
                    conn, id=new_id(), webhook_id=hook.id, event_id=event.id, type_=type_,
                    body=body, window_s=self.settings.webhook_retry_window_s)
                recorded = recorded or made is not None
        if recorded:
            self.sender.wake()

    # --- statuses ----------------------------------------------------------------------------

    async def _status(self, event: events.StatusCreated | events.StatusUpdated, type_: str,
                      mentioned: tuple[int, ...]) -> None:
        types = (type_, "mention.created") if mentioned else (type_,)
        # Where the event says it happened (an older producer's edit may not say: anywhere);
        # the status itself decides below.
        near_network, near_community = status_scope(event.visibility, event.network_id,
                                                    event.community_id)
        if not await self._subscribed(*types, network_id=near_network,
                                      community_id=near_community,
                                      anywhere=not event.network_id):
            return
        status = await render.status_of(self.nc, event.status_id)
        if status is None:
            return
        network_id, community_id = status_scope(status.visibility, status.network_id,
                                                status.community_id)
        shaped = await render.status_data(self.nc, status, self.base_url)
        if shaped is None:
            return
        entity, met = shaped

        async def status_only() -> Data:
            return entity

        await self._deliver(event, type_, network_id, community_id, status_only)
        if mentioned:
            async def mention() -> Data:
                return {"status": entity,
                        "accounts": [render.account(met[m], self.base_url)
                                     for m in mentioned if m in met]}
            await self._deliver(event, "mention.created", network_id, community_id, mention)

    async def status_created(self, event: events.StatusCreated) -> None:
        if event.reblog_of_id is not None:
            return  # a boost is no new status for partners
        await self._status(event, "status.created", event.mentions)

    async def status_updated(self, event: events.StatusUpdated) -> None:
        await self._status(event, "status.updated", event.added_mentions)

    async def status_deleted(self, event: events.StatusDeleted) -> None:
        if event.reblog_of_id is not None:
            return
        network_id, community_id = status_scope(event.visibility, event.network_id,
                                                event.community_id)

        async def deleted() -> Data:
            return {"id": str(event.status_id), "account_id": str(event.account_id),
                    "hubbub": {"community_id": (str(event.community_id)
                                                if event.community_id else None)}}
        await self._deliver(event, "status.deleted", network_id, community_id, deleted)

    # --- members and follows -----------------------------------------------------------------

    async def _member(self, event: events.CommunityJoined | events.CommunityLeft,
                      type_: str, role: str | None) -> None:
        # The member's network is known only once the account is looked up: anywhere.
        if not await self._subscribed(type_, community_id=event.community_id, anywhere=True):
            return
        met = await render.accounts(self.nc, [event.account_id])
        member = met.get(event.account_id)
        if member is None:
            return

        async def data() -> Data:
            assert member is not None
            shaped: dict[str, Any] = {"community_id": str(event.community_id),
                                      "account": render.account(member, self.base_url)}
            if role is not None:
                shaped["role"] = role
            return shaped
        await self._deliver(event, type_, member.network_id, event.community_id, data)

    async def member_joined(self, event: events.CommunityJoined) -> None:
        await self._member(event, "member.joined", event.role)

    async def member_left(self, event: events.CommunityLeft) -> None:
        await self._member(event, "member.left", None)

    async def follow_created(self, event: events.FollowCreated) -> None:
        if not await self._subscribed("follow.created", anywhere=True):
            return
        met = await render.accounts(self.nc, [event.follower_id, event.followee_id])
        follower, followee = met.get(event.follower_id), met.get(event.followee_id)
        if follower is None or followee is None:
            return

        async def data() -> Data:
            assert follower is not None and followee is not None
            return {"account": render.account(follower, self.base_url),
                    "target_account": render.account(followee, self.base_url)}
        await self._deliver(event, "follow.created", follower.network_id, None, data)
