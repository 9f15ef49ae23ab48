"""NotifyPeople: turn events into notifications for the people they concern, at most once each
(a redelivered event finds its dedupe key taken), and push each new one to the recipient's live
subject. Nobody is notified of their own actions. The recipient's notification policy
(services/notify/policy.py) may drop one, or file it under its sender's request, unseen until
the recipient accepts it."""

from __future__ import annotations

import contextlib

import asyncpg
from nats.aio.client import Client as NATS

from services.notify import store
from services.notify.policy import FILTERABLE, Sender, may_apply, verdict
from services.notify.push.jobs import PushJobs
from services.notify.store.policies import RecipientFacts
from shared import bus, events, member_index, outbox, subjects, viewer_cache
from shared.contracts import communities as communities_api
from shared.contracts import graph as graph_api
from shared.contracts import live
from shared.contracts import posts as posts_api
from shared.contracts.notify import PolicyAction
from shared.ids import new_id
from shared.records import NotificationType
from shared.routing import EventRoutes


class NotifyPeople:
    def __init__(self, pool: asyncpg.Pool, nc: NATS, push: PushJobs | None = None,
                 graph_cache: member_index.Commands | None = None) -> None:
        self.pool = pool
        self.nc = nc
        self.push = push  # Web Push jobs for each new notification shown (push/jobs.py)
        # What graph keeps in Valkey for its readers, read here: the index of belled accounts
        # (shared/member_index.py) and recipients' hidden sets (shared/viewer_cache.py). None:
        # graph is asked every time.
        self.graph_cache = graph_cache

    def routes(self) -> EventRoutes:
        return (EventRoutes()
                # Statuses that may notify someone (posts asked graph's index of belled
                # authors): a plain post by an author no one rang the bell for is not even
                # handed to this consumer.
                .on(events.StatusCreated, self.status_created, where={"notice": "notice"})
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
        # The thread's root: a new thread's is the status itself (older events may not say).
        thread = event.conversation_id or (event.status_id if event.in_reply_to_id is None
                                           else None)
        for account_id in event.mentions:
            # A direct message is private unless it answers the one it mentions.
            private = (event.visibility == "direct"
                       and event.in_reply_to_account_id != account_id)
            await self._notify(event, account_id, "mention", event.account_id, event.status_id,
                               private_mention=private, thread=thread)
        # A reply tells the author of the post replied to, even without an @mention.
        parent_author = event.in_reply_to_account_id
        if parent_author is not None and parent_author not in event.mentions:
            await self._notify(event, parent_author, "mention", event.account_id,
                               event.status_id, thread=thread)
        if event.community_id is not None and event.visibility != "direct":
            await self._community_post(event, event.community_id)
        if (event.visibility != "direct" and event.community_id is None
                and await self._may_be_belled(event.account_id)):
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

    async def _may_be_belled(self, account_id: int) -> bool:
        """Whether anyone may have rung the bell for the account: false only when graph's
        index is complete and does not hold it. Without Valkey, graph is asked as before."""
        if self.graph_cache is None:
            return True
        return await member_index.may_hold(self.graph_cache, member_index.BELLED, account_id)

    async def _refuses(self, recipient: int, sender: int) -> bool:
        """A block either way, or a mute of the sender's notifications by the recipient (graph's
        ``notification.allowed``), read from graph's cache of the recipient's hidden accounts,
        which the gateway's timelines read too; on a miss graph is asked for the set, and
        caches it for the recipient's next notification."""
        cached = (await viewer_cache.cached_hidden(self.graph_cache, recipient)
                  if self.graph_cache is not None else None)
        if cached is not None:
            return sender in cached.notification_ids
        hidden = await bus.call(self.nc, graph_api.VIEWER_HIDDEN,
                                graph_api.ViewerFacts(account_id=recipient))
        return sender in hidden.notification_ids

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
            await self._notify(event, account_id, "mention", event.account_id, event.status_id,
                               private_mention=event.visibility == "direct")
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
                      community_id: int | None = None, private_mention: bool = False,
                      thread: int | None = None) -> None:
        if recipient == from_account and not allow_self:
            return
        if recipient != from_account and await self._refuses(recipient, from_account):
            return  # a block either way, or a mute of the sender's notifications
        notification_id = new_id()
        dedupe_key = f"{event.id}:{recipient}"
        # Most notifications are plain (no policy that could filter them, no muted thread, no
        # push subscription): their facts read and their row written in one statement.
        async with self.pool.acquire() as conn:
            outcome = await store.plain.insert_if_plain(
                conn, id=notification_id, account_id=recipient, type=type_,
                from_account_id=from_account, status_id=status_id, dedupe_key=dedupe_key,
                community_id=community_id, at_ms=event.occurred_at,
                private_mention=private_mention)
        if outcome.plain:
            if outcome.created:
                await self._announce(recipient, notification_id)
            return
        facts = outcome.facts
        if status_id is not None and facts.mutes_threads and await self._thread_muted(
                recipient, status_id, thread):
            return  # the recipient muted this thread (Mastodon's muted conversation)
        action: PolicyAction | None = "accept"
        if recipient != from_account:
            action = await self._screen(event, facts, recipient, from_account, type_,
                                        private_mention)
        if action is None or action == "drop":
            return  # refused (a block, a mute of notifications), or dropped by the policy
        filtered = action == "filter"
        pushes: list[int] = []
        if not filtered and self.push is not None and facts.has_push:
            pushes = await self.push.hearing(recipient=recipient, type_=type_,
                                             from_account=from_account)
        async with self.pool.acquire() as conn:
            # The notification with what must commit beside it (a request opened, push jobs)
            # in one transaction; alone (the usual case), one statement is its own.
            together = conn.transaction() if filtered or pushes else contextlib.nullcontext()
            async with together:
                created = await store.insert(
                    conn, id=notification_id, account_id=recipient, type=type_,
                    from_account_id=from_account, status_id=status_id,
                    dedupe_key=dedupe_key, community_id=community_id,
                    at_ms=event.occurred_at, filtered=filtered,
                )
                if created and filtered:
                    await store.policies.open_request(conn, recipient, from_account)
                if created and pushes:
                    await outbox.add(conn, "notify", *[events.PushRequested(
                        subscription_id=subscription, notification_id=notification_id,
                        account_id=recipient, notification_type=type_,
                        from_account_id=from_account, status_id=status_id)
                        for subscription in pushes])
        if created and not filtered:
            await self._announce(recipient, notification_id)

    async def _announce(self, recipient: int, notification_id: int) -> None:
        """A new notification shown: to the recipient's screens."""
        await self.nc.publish(
            subjects.live_user(recipient),
            live.encode(live.LiveMessage(event="notification", notification_id=notification_id)),
        )

    async def _thread_muted(self, recipient: int, status_id: int, thread: int | None) -> bool:
        """Whether the recipient (one who muted some thread) muted the thread of ``status_id``
        (its root, ``thread``, when the event says; else posts is asked)."""
        if thread is None:
            reply = await bus.call(self.nc, posts_api.STATUS_GET,
                                   posts_api.GetStatuses(ids=[status_id]))
            if not reply.statuses:
                return False
            found = reply.statuses[0]
            thread = found.conversation_id or found.id
        async with self.pool.acquire() as conn:
            return bool(await store.thread_mutes.muted_among(conn, recipient, [thread]))

    async def _screen(self, event: events.Event, facts: RecipientFacts, recipient: int,
                      from_account: int, type_: NotificationType, private_mention: bool
                      ) -> PolicyAction | None:
        """The recipient's policy's verdict, for a recipient who does not refuse the sender
        (asked first, _notify); None when graph, asked for the sender's facts because the
        policy could filter this notification, finds a refusal after all (a block since)."""
        policy, permitted = facts.policy, facts.permitted
        ask = type_ in FILTERABLE and not permitted and may_apply(
            policy, type_, private_mention=private_mention)
        if not ask:  # whether the recipient refuses the sender was asked first (_notify)
            return "accept"
        reply = await bus.call(self.nc, graph_api.NOTIFICATION_ALLOWED,
                               graph_api.NotificationAllowed(recipient_id=recipient,
                                                             from_account_id=from_account,
                                                             facts=True))
        if not reply.allowed:
            return None
        sender = Sender(recipient_follows=reply.recipient_follows,
                        follower_since=reply.follower_since,
                        created_at=reply.sender_created_at, permitted=permitted)
        return verdict(policy, type_, sender, private_mention=private_mention,
                       now_ms=event.occurred_at)

    async def _forget(self, status_id: int, type_: NotificationType, from_account: int
                      ) -> None:
        async with self.pool.acquire() as conn:
            await store.delete_one(conn, status_id, type_, from_account)
