"""Fanout handlers: turn post and follow events into home timeline entries and live deliveries.
Every handler is idempotent: a redelivered event leaves the same timelines.

Hybrid fanout: every status that followers may see goes to its author's own timeline; an author
with more followers than the threshold is written nowhere else but the author's home (and the
homes of hashtag followers), and followers merge the own timeline into their page when they read.
Home timelines of readers who have not read for a while are skipped
(shared/timelines/activity.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.fanout.live import LivePublisher
from services.fanout.recipients import (
    first_followers,
    follower_pages,
    home_recipients,
    member_pages,
    prefetching,
    reaches_followers,
)
from shared import bus, events, member_index, metrics, policy, subjects
from shared.contracts import live
from shared.contracts import posts as posts_api
from shared.fastredis import FastRedis
from shared.records import (
    big_followees_key,
    community_key,
    home_key,
    own_key,
    own_reblogs_key,
)
from shared.routing import EventRoutes
from shared.timelines.writes import TimelineWriter

log = logging.getLogger(__name__)
DONE_TTL_S = 24 * 3600
MERGE_ON_FOLLOW = 40


def done_key(event_id: int) -> str:
    """Set when an event's home fanout is complete (a redelivery then does nothing)."""
    return f"fanout:done:{event_id}"


class FanoutHandlers:
    def __init__(self, nc: NATS, r: redis.Redis, writer: TimelineWriter, *,
                 follower_threshold: int, lean: FastRedis | redis.Redis | None = None) -> None:
        self.nc = nc
        self.r = r
        # The lean client (shared/fastredis) for the few commands of every event: the check
        # and mark of a complete run cost redis-py ~0.2 ms of CPU each, it ~0.06.
        self.lean = lean or r
        self.writer = writer
        self.live = LivePublisher(nc, r, lean if isinstance(lean, FastRedis) else None)
        self.follower_threshold = follower_threshold

    def routes(self) -> EventRoutes:
        return (EventRoutes()
                .on(events.StatusCreated, self.deliver_status)
                .on(events.StatusDeleted, self.remove_status)
                .on(events.StatusUpdated, self.announce_update)
                .on(events.ReblogCreated, self.deliver_reblog)
                .on(events.ReblogRemoved, self.remove_reblog)
                .on(events.FollowCreated, self.merge_followee)
                .on(events.FollowRemoved, self.remove_followee))

    async def _once(self, event: events.Event) -> bool:
        """False when a complete earlier run of this event is recorded (a redelivery)."""
        return not await self.lean.execute_command("EXISTS", done_key(event.id))

    async def _done(self, event: events.Event) -> None:
        await self.lean.execute_command("SET", done_key(event.id), b"1", "EX", DONE_TTL_S)

    async def _first_followers(self, author_id: int, *, reblogs_only: bool = False
                               ) -> list[int] | None:
        """The first page of followers, or None above the threshold (hybrid fanout)."""
        first = await first_followers(self.nc, author_id, self.follower_threshold,
                                      reblogs_only=reblogs_only, cache=self.lean)
        if first is None:
            metrics.FANOUT_SKIPPED.labels("hybrid").inc()
        return first

    async def deliver_status(self, event: events.StatusCreated) -> None:
        update = live.LiveMessage(event="update", status_id=event.status_id)
        followers: list[int] | None = None
        big = False
        if reaches_followers(event):
            # Asked side by side, the latency of a post being only the slowest of them: the
            # own-timeline write is idempotent, so it may go ahead of the redelivery check.
            once, _, followers = await asyncio.gather(
                self._once(event),
                self.writer.add([own_key(event.account_id)], event.status_id),
                self._first_followers(event.account_id))
            big = followers is None
        else:
            once = await self._once(event)
        if not once:
            return  # timelines and live deliveries already have it
        first = True
        # The author's home (first in the first page) takes it whatever; so do the homes of
        # those a direct message is for (a few, and a rebuild might not reach back to it); the
        # others if they read.
        always = event.visibility == policy.DIRECT
        tags_followed = bool(event.tags) and event.visibility == policy.PUBLIC and (
            await member_index.may_hold_any(self.lean, member_index.FOLLOWED_TAGS, event.tags))
        async for readers in prefetching(home_recipients(self.nc, event, followers=followers,
                                                         tags_followed=tags_followed)):
            # Screens first: a live update names the status, which readers fetch from the
            # status cache, not from their timelines, so it need not wait for the writes (and
            # the writes share their script calls with other events in flight).
            writing = asyncio.ensure_future(self.writer.deliver(
                readers, event.status_id, unchecked=len(readers) if always else int(first)))
            try:
                await self.live.publish(await self.live.online(readers), update)
            finally:
                written = await writing
            metrics.TIMELINE_WRITES.labels("home").inc(written)
            metrics.FANOUT_SKIPPED.labels("inactive").inc(len(readers) - written)
            first = False
        if big:
            # Their timelines do not hold it, but their screens should show it.
            await self.live.to_followers(event.account_id, update)
        if event.community_id is not None and event.visibility != policy.DIRECT:
            # Direct posts reach the mentioned only. Private ones enter the timeline, which
            # filters by reader; the stream does not filter, so they are not announced there.
            written = await self.writer.add([community_key(event.community_id)],
                                            event.status_id)
            metrics.TIMELINE_WRITES.labels("community").inc(written)
            if event.visibility != policy.PRIVATE:
                await self.nc.publish(subjects.live_community(event.community_id), live.encode(
                    live.LiveMessage(event="update", status_id=event.status_id)))
        if event.broadcast and policy.in_public_timeline(policy.PostFacts(
                author_id=event.account_id, network_id=event.network_id,
                visibility=event.visibility, community_id=event.community_id)):
            # (A silenced author's is not broadcast: Mastodon's broadcastable?.)
            await self.nc.publish(subjects.live_network(event.network_id), live.encode(
                live.LiveMessage(event="update", status_id=event.status_id)))
        await self._done(event)

    async def deliver_reblog(self, event: events.ReblogCreated) -> None:
        if not await self._once(event):
            return
        update = live.LiveMessage(event="update", status_id=event.reblog_id)
        await self.writer.add([own_reblogs_key(event.account_id)], event.reblog_id)
        followers = await self._first_followers(event.account_id, reblogs_only=True)
        big = followers is None

        async def pages() -> AsyncIterator[list[int]]:
            yield [event.account_id]
            if followers is not None:
                async for page in follower_pages(self.nc, event.account_id, reblogs_only=True,
                                                 first=followers):
                    yield page

        first = True
        async for readers in prefetching(pages()):
            # Only those whose timeline took it hear of it: a reblog of what they saw moments
            # ago is no news (as in Mastodon).
            got = await self.writer.deliver_reblog(readers, event.reblog_id, event.status_id,
                                                   unchecked=1 if first else 0)
            metrics.TIMELINE_WRITES.labels("home").inc(len(got))
            metrics.FANOUT_SKIPPED.labels("inactive_or_duplicate").inc(len(readers) - len(got))
            await self.live.to_users(got, update)
            first = False
        if big:
            await self.live.to_followers(event.account_id, update)
        await self._done(event)

    async def _audience(self, account_id: int, visibility: str, mentions: tuple[int, ...],
                        community_id: int | None = None) -> AsyncIterator[list[int]]:
        """Whose home timelines may hold a status: the reverse of home_recipients (followers
        too when the author is above the threshold: a follow or a rebuild merges recent posts)."""
        yield [account_id, *mentions]
        if visibility == policy.DIRECT:
            return
        pages = (member_pages(self.nc, community_id) if community_id is not None
                 else follower_pages(self.nc, account_id))
        async for page in pages:
            yield page

    async def remove_status(self, event: events.StatusDeleted) -> None:
        status_id, account_id, network_id = event.status_id, event.account_id, event.network_id
        visibility, mentions, community_id = event.visibility, event.mentions, event.community_id
        message = live.LiveMessage(event="delete", status_id=status_id)
        await self.writer.remove([own_key(account_id), own_reblogs_key(account_id)], [status_id])
        async for page in prefetching(self._audience(account_id, visibility, mentions,
                                                     community_id)):
            await self.writer.remove([home_key(i) for i in page], [status_id])
            await self.live.to_users(page, message)
        if community_id is not None:
            await self.writer.remove([community_key(community_id)], [status_id])
            await self.nc.publish(subjects.live_community(community_id), live.encode(message))
        if visibility == policy.PUBLIC and network_id:
            # Anyone watching the network stream may have it on screen.
            await self.nc.publish(subjects.live_network(network_id), live.encode(message))

    async def remove_reblog(self, event: events.ReblogRemoved) -> None:
        message = live.LiveMessage(event="delete", status_id=event.reblog_id)
        await self.writer.remove([own_reblogs_key(event.account_id)], [event.reblog_id])
        async for page in self._audience(event.account_id, policy.UNLISTED, ()):
            await self.writer.remove([home_key(i) for i in page], [event.reblog_id])
            # Another reblog of the same original may enter these timelines again.
            await self.writer.forget_reblog(page, event.reblog_id, event.status_id)
            await self.live.to_users(page, message)

    async def announce_update(self, event: events.StatusUpdated) -> None:
        message = live.LiveMessage(event="status.update", status_id=event.status_id)
        async for page in self._audience(event.account_id, event.visibility, event.mentions,
                                         event.community_id):
            await self.live.to_users(page, message)
        if event.community_id is not None and event.visibility not in (policy.PRIVATE,
                                                                         policy.DIRECT):
            # The community's stream showed it (as deliver_status announced it there).
            await self.nc.publish(subjects.live_community(event.community_id),
                                  live.encode(message))

    async def merge_followee(self, event: events.FollowCreated) -> None:
        recent = await bus.call(
            self.nc, posts_api.STATUS_RECENT_BY_AUTHOR,
            posts_api.RecentByAuthor(account_id=event.followee_id, limit=MERGE_ON_FOLLOW,
                                     include_reblogs=event.reblogs),
        )
        written = await self.writer.merge(home_key(event.follower_id), recent.ids)
        metrics.TIMELINE_WRITES.labels("home").inc(written)
        # The reader's cached set of followees above the threshold no longer holds.
        await self.r.delete(big_followees_key(event.follower_id))

    async def remove_followee(self, event: events.FollowRemoved) -> None:
        await self.r.delete(big_followees_key(event.follower_id))
        recent = await bus.call(
            self.nc, posts_api.STATUS_RECENT_BY_AUTHOR,
            posts_api.RecentByAuthor(account_id=event.followee_id, limit=self.writer.cap),
        )
        await self.writer.remove_recent(home_key(event.follower_id), recent.ids)
