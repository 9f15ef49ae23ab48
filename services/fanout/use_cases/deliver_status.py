"""Fanout handlers: turn post and follow events into home timeline entries and live deliveries.
Every handler is idempotent: a redelivered event leaves the same timelines."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.fanout.recipients import follower_pages, home_recipients, member_pages
from shared import bus, events, metrics, policy, subjects
from shared.contracts import live
from shared.contracts import posts as posts_api
from shared.records import community_key, home_key
from shared.timelines import TimelineWriter

log = logging.getLogger(__name__)
DONE_TTL_S = 24 * 3600
MERGE_ON_FOLLOW = 40


class FanoutHandlers:
    def __init__(self, nc: NATS, r: redis.Redis, writer: TimelineWriter) -> None:
        self.nc = nc
        self.r = r
        self.writer = writer

    async def __call__(self, event: events.AnyEvent) -> None:
        if isinstance(event, events.StatusCreated):
            await self.deliver_status(event)
        elif isinstance(event, events.ReblogCreated):
            await self.deliver_reblog(event)
        elif isinstance(event, events.StatusDeleted):
            await self.remove_status(event.status_id, event.account_id, event.network_id,
                                     event.visibility, event.mentions, event.community_id)
        elif isinstance(event, events.ReblogRemoved):
            await self.remove_status(event.reblog_id, event.account_id, 0, policy.UNLISTED, ())
        elif isinstance(event, events.StatusUpdated):
            await self.announce_update(event)
        elif isinstance(event, events.FollowCreated):
            await self.merge_followee(event)
        elif isinstance(event, events.FollowRemoved):
            await self.remove_followee(event)

    async def _once(self, event: events.Event) -> bool:
        """False when a complete earlier run of this event is recorded (a redelivery)."""
        return not await self.r.exists(f"fanout:done:{event.id}")

    async def _done(self, event: events.Event) -> None:
        await self.r.set(f"fanout:done:{event.id}", b"1", ex=DONE_TTL_S)

    async def _deliver(self, pages: AsyncIterator[list[int]], status_id: int) -> None:
        update = live.encode(live.LiveMessage(event="update", status_id=status_id))
        async for recipients in pages:
            written = await self.writer.add([home_key(i) for i in recipients], status_id)
            metrics.TIMELINE_WRITES.labels("home").inc(written)
            for account_id in recipients:
                await self.nc.publish(subjects.live_user(account_id), update)

    async def deliver_status(self, event: events.StatusCreated) -> None:
        if not await self._once(event):
            return  # timelines and live deliveries already have it
        await self._deliver(home_recipients(self.nc, event), event.status_id)
        if event.community_id is not None and event.visibility != policy.DIRECT:
            # Direct posts reach the mentioned only. Private ones enter the timeline, which
            # filters by reader; the stream does not filter, so they are not announced there.
            written = await self.writer.add([community_key(event.community_id)],
                                            event.status_id)
            metrics.TIMELINE_WRITES.labels("community").inc(written)
            if event.visibility != policy.PRIVATE:
                await self.nc.publish(subjects.live_community(event.community_id), live.encode(
                    live.LiveMessage(event="update", status_id=event.status_id)))
        if policy.in_public_timeline(policy.PostFacts(
                author_id=event.account_id, network_id=event.network_id,
                visibility=event.visibility, community_id=event.community_id)):
            await self.nc.publish(subjects.live_network(event.network_id), live.encode(
                live.LiveMessage(event="update", status_id=event.status_id)))
        await self._done(event)

    async def deliver_reblog(self, event: events.ReblogCreated) -> None:
        if not await self._once(event):
            return

        async def pages() -> AsyncIterator[list[int]]:
            yield [event.account_id]
            async for page in follower_pages(self.nc, event.account_id, reblogs_only=True):
                yield page

        await self._deliver(pages(), event.reblog_id)
        await self._done(event)

    async def _audience(self, account_id: int, visibility: str, mentions: tuple[int, ...],
                        community_id: int | None = None) -> AsyncIterator[list[int]]:
        """Whose home timelines may hold a status: the reverse of home_recipients."""
        yield [account_id, *mentions]
        if visibility == policy.DIRECT:
            return
        pages = (member_pages(self.nc, community_id) if community_id is not None
                 else follower_pages(self.nc, account_id))
        async for page in pages:
            yield page

    async def remove_status(self, status_id: int, account_id: int, network_id: int,
                            visibility: str, mentions: tuple[int, ...],
                            community_id: int | None = None) -> None:
        message = live.encode(live.LiveMessage(event="delete", status_id=status_id))
        async for page in self._audience(account_id, visibility, mentions, community_id):
            await self.writer.remove([home_key(i) for i in page], [status_id])
            for recipient in page:
                await self.nc.publish(subjects.live_user(recipient), message)
        if community_id is not None:
            await self.writer.remove([community_key(community_id)], [status_id])
            await self.nc.publish(subjects.live_community(community_id), message)
        if visibility == policy.PUBLIC and network_id:
            # Anyone watching the network stream may have it on screen.
            await self.nc.publish(subjects.live_network(network_id), message)

    async def announce_update(self, event: events.StatusUpdated) -> None:
        message = live.encode(live.LiveMessage(event="status.update", status_id=event.status_id))
        async for page in self._audience(event.account_id, event.visibility, event.mentions):
            for recipient in page:
                await self.nc.publish(subjects.live_user(recipient), message)

    async def merge_followee(self, event: events.FollowCreated) -> None:
        recent = await bus.request(
            self.nc, "posts", "status.recent_by_author",
            posts_api.RecentByAuthor(account_id=event.followee_id, limit=MERGE_ON_FOLLOW,
                                     include_reblogs=event.reblogs),
            posts_api.Ids,
        )
        written = await self.writer.merge(home_key(event.follower_id), recent.ids)
        metrics.TIMELINE_WRITES.labels("home").inc(written)

    async def remove_followee(self, event: events.FollowRemoved) -> None:
        recent = await bus.request(
            self.nc, "posts", "status.recent_by_author",
            posts_api.RecentByAuthor(account_id=event.followee_id, limit=self.writer.cap),
            posts_api.Ids,
        )
        await self.writer.remove([home_key(event.follower_id)], recent.ids)
