"""NotifyPeople: turn events into notifications for the people they concern, at most once each
(a redelivered event finds its dedupe key taken), and push each new one to the recipient's live
subject. Nobody is notified of their own actions."""

from __future__ import annotations

import asyncpg
from nats.aio.client import Client as NATS

from services.notify import store
from shared import bus, events, subjects
from shared.contracts import communities as communities_api
from shared.contracts import graph as graph_api
from shared.contracts import live
from shared.contracts import posts as posts_api
from shared.ids import new_id
from shared.records import NotificationType
from shared.routing import EventRoutes


class NotifyPeople:
    def __init__(self, pool: asyncpg.Pool, nc: NATS) -> None:
        self.pool = pool
        self.nc = nc

    def routes(self) -> EventRoutes:
        return (EventRoutes()
                .on(events.StatusCreated, self.status_created)
                .on(events.StatusDeleted, self.status_deleted)
                .on(events.StatusUpdated, self.status_updated)
                .on(events.FavouriteAdded, self.favourite_added)
                .on(events.FavouriteRemoved, self.favourite_removed)
                .on(events.ReblogCreated, self.reblog_created)
                .on(events.ReblogRemoved, self.reblog_removed)
                .on(events.PollEnded, self.poll_ended)
                .on(events.FollowCreated, self.follow_created)
                .on(events.FollowRequested, self.follow_requested)
                .on(events.CommunityInvited, self.community_invited))

    async def follow_created(self, event: events.FollowCreated) -> None:
        await self._notify(event, event.followee_id, "follow", event.follower_id, None)

    async def community_invited(self, event: events.CommunityInvited) -> None:
        # Hubbub's own type; Mastodon clients skip notification types they do not know.
        await self._notify(event, event.account_id, "hubbub.community_invite",
                           event.invited_by, None, community_id=event.community_id)

    async def follow_requested(self, event: events.FollowRequested) -> None:
        await self._notify(event, event.followee_id, "follow_request", event.follower_id, None)

    async def favourite_added(self, event: events.FavouriteAdded) -> None:
        await self._notify(event, event.status_account_id, "favourite", event.account_id,
                           event.status_id)

    async def reblog_created(self, event: events.ReblogCreated) -> None:
        await self._notify(event, event.status_account_id, "reblog", event.account_id,
                           event.status_id)

    async def reblog_removed(self, event: events.ReblogRemoved) -> None:
        await self._forget(event.status_id, "reblog", event.account_id)

    async def favourite_removed(self, event: events.FavouriteRemoved) -> None:
        await self._forget(event.status_id, "favourite", event.account_id)

    async def poll_ended(self, event: events.PollEnded) -> None:
        for voter in {*event.voter_ids, event.status_account_id}:
            await self._notify(event, voter, "poll", event.status_account_id, event.status_id,
                               allow_self=True)

    async def status_deleted(self, event: events.StatusDeleted) -> None:
        async with self.pool.acquire() as conn:
            await store.delete_for_status(conn, event.status_id)

    async def status_created(self, event: events.StatusCreated) -> None:
        for account_id in event.mentions:
            await self._notify(event, account_id, "mention", event.account_id, event.status_id)
        # A reply tells the author of the post replied to, even without an @mention.
        parent_author = event.in_reply_to_account_id
        if parent_author is not None and parent_author not in event.mentions:
            await self._notify(event, parent_author, "mention", event.account_id,
                               event.status_id)
        if event.community_id is not None and event.visibility != "direct":
            await self._community_post(event, event.community_id)
        if event.visibility != "direct" and event.community_id is None:
            # Followers who rang the bell (follow with notify: true) hear of every post.
            after = 0
            while True:
                page = await bus.call(self.nc, graph_api.FOLLOWERS_IDS, graph_api.FollowerIds(
                    account_id=event.account_id, after_id=after, limit=1000, notify_only=True))
                for follower in page.ids:
                    if follower not in event.mentions:
                        await self._notify(event, follower, "status", event.account_id,
                                           event.status_id)
                if len(page.ids) < 1000:
                    break
                after = page.ids[-1]

    async def _community_post(self, event: events.StatusCreated, community_id: int) -> None:
        """Members who asked to hear of every post in the community (Hubbub's own type)."""
        after = 0
        while True:
            page = await bus.call(self.nc, graph_api.COMMUNITY_NOTIFIED_MEMBERS,
                                  communities_api.NotifiedMembers(
                                      community_id=community_id, after_id=after))
            for member in page.ids:
                if event.visibility == "private" and member not in event.mentions:
                    continue  # private community posts: only fanout's narrower audience
                await self._notify(event, member, "hubbub.community_post", event.account_id,
                                   event.status_id, community_id=community_id)
            if len(page.ids) < 1000:
                return
            after = page.ids[-1]

    async def status_updated(self, event: events.StatusUpdated) -> None:
        for account_id in event.added_mentions:
            await self._notify(event, account_id, "mention", event.account_id, event.status_id)
        # Those who reblogged it vouched for the old text: tell them it changed.
        after = None
        while True:
            page = await bus.call(self.nc, posts_api.STATUS_REBLOGGED_BY,
                                  posts_api.StatusPage(status_id=event.status_id,
                                                       page=posts_api.Page(max_id=after,
                                                                           limit=80)))
            for item in page.items:
                await self._notify(event, item.id, "update", event.account_id, event.status_id)
            if len(page.items) < 80:
                return
            after = page.items[-1].cursor

    async def _notify(self, event: events.Event, recipient: int, type_: NotificationType,
                      from_account: int, status_id: int | None, *, allow_self: bool = False,
                      community_id: int | None = None) -> None:
        if recipient == from_account and not allow_self:
            return
        if recipient != from_account and not await self._allowed(recipient, from_account):
            return  # blocked either way, or muted with its notifications
        notification_id = new_id()
        async with self.pool.acquire() as conn:
            created = await store.insert(
                conn, id=notification_id, account_id=recipient, type=type_,
                from_account_id=from_account, status_id=status_id,
                dedupe_key=f"{event.id}:{recipient}", community_id=community_id,
            )
        if created:
            await self.nc.publish(
                subjects.live_user(recipient),
                live.encode(live.LiveMessage(event="notification",
                                             notification_id=notification_id)),
            )

    async def _allowed(self, recipient: int, from_account: int) -> bool:
        reply = await bus.call(self.nc, graph_api.NOTIFICATION_ALLOWED,
                               graph_api.NotificationAllowed(recipient_id=recipient,
                                                             from_account_id=from_account))
        return reply.allowed

    async def _forget(self, status_id: int, type_: NotificationType, from_account: int
                      ) -> None:
        async with self.pool.acquire() as conn:
            await store.delete_one(conn, status_id, type_, from_account)
