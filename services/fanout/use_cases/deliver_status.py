"""DeliverStatus and friends: turn post and follow events into home timeline entries and live
deliveries. Every handler is idempotent: a redelivered event leaves the same timelines."""

from __future__ import annotations

import logging

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.fanout.recipients import follower_pages, home_recipients
from shared import bus, events, metrics, policy, subjects
from shared.contracts import live
from shared.contracts import posts as posts_api
from shared.records import home_key
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
        elif isinstance(event, events.StatusDeleted):
            await self.remove_status(event)
        elif isinstance(event, events.FollowCreated):
            await self.merge_followee(event)
        elif isinstance(event, events.FollowRemoved):
            await self.remove_followee(event)

    async def deliver_status(self, event: events.StatusCreated) -> None:
        done_key = f"fanout:done:{event.id}"
        if await self.r.exists(done_key):
            return  # redelivered after a complete run: timelines and live already have it
        update = live.encode(live.LiveMessage(event="update", status_id=event.status_id))
        async for recipients in home_recipients(self.nc, event):
            written = await self.writer.add([home_key(i) for i in recipients], event.status_id)
            metrics.TIMELINE_WRITES.labels("home").inc(written)
            for account_id in recipients:
                await self.nc.publish(subjects.live_user(account_id), update)
        if event.visibility == policy.PUBLIC and event.community_id is None:
            await self.nc.publish(subjects.live_network(event.network_id), update)
        await self.r.set(done_key, b"1", ex=DONE_TTL_S)

    async def remove_status(self, event: events.StatusDeleted) -> None:
        message = live.encode(live.LiveMessage(event="delete", status_id=event.status_id))
        keys = [home_key(event.account_id)]
        await self.nc.publish(subjects.live_user(event.account_id), message)
        async for page in follower_pages(self.nc, event.account_id):
            keys.extend(home_key(i) for i in page)
            for account_id in page:
                await self.nc.publish(subjects.live_user(account_id), message)
        await self.writer.remove(keys, [event.status_id])

    async def merge_followee(self, event: events.FollowCreated) -> None:
        recent = await bus.request(
            self.nc, "posts", "status.recent_by_author",
            posts_api.RecentByAuthor(account_id=event.followee_id, limit=MERGE_ON_FOLLOW),
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
