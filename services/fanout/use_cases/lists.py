"""List timelines: a status by a listed account goes to every list that holds its author (when
the list's owner may see it); list membership changes merge or remove the account's posts."""

from __future__ import annotations

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from shared import bus, events, member_index, metrics, policy, subjects
from shared.contracts import graph as graph_api
from shared.contracts import lists as lists_api
from shared.contracts import live
from shared.contracts import posts as posts_api
from shared.records import list_key
from shared.routing import EventRoutes
from shared.timelines.writes import TimelineWriter

MERGE_ON_ADD = 40


class ListHandlers:
    def __init__(self, nc: NATS, r: redis.Redis, writer: TimelineWriter,
                 lean: member_index.Commands | None = None) -> None:
        self.nc = nc
        self.r = r
        self.lean = lean or r
        self.writer = writer

    def routes(self) -> EventRoutes:
        return (EventRoutes()
                .on(events.StatusCreated, self.status_created)
                .on(events.StatusDeleted, self.status_deleted)
                .on(events.StatusUpdated, self.status_updated)
                .on(events.ReblogCreated, self.reblog_created)
                .on(events.ReblogRemoved, self.reblog_removed)
                .on(events.ListMembersChanged, self.members_changed)
                .on(events.ListDeleted, self.list_deleted))

    async def status_created(self, event: events.StatusCreated) -> None:
        if event.community_id is None:
            await self._deliver(event.account_id, event.status_id, event.visibility,
                                event.mentions)

    async def status_deleted(self, event: events.StatusDeleted) -> None:
        await self._remove(event.account_id, event.status_id)

    async def status_updated(self, event: events.StatusUpdated) -> None:
        """An edit reaches the list streams that showed the status."""
        if event.community_id is not None:
            return  # (community posts do not enter lists)
        targets = self._readable(await self._targets(event.account_id), event.visibility,
                                 event.mentions)
        update = live.encode(live.LiveMessage(event="status.update", status_id=event.status_id))
        for target in targets:
            await self.nc.publish(subjects.live_list(target.list_id), update)

    async def reblog_created(self, event: events.ReblogCreated) -> None:
        await self._deliver(event.account_id, event.reblog_id, event.visibility, ())

    async def reblog_removed(self, event: events.ReblogRemoved) -> None:
        await self._remove(event.account_id, event.reblog_id)

    async def list_deleted(self, event: events.ListDeleted) -> None:
        await self.r.delete(list_key(event.owner_id, event.list_id))

    async def _targets(self, author_id: int) -> list[lists_api.ListTarget]:
        # Most authors are in no list: graph's index says so without a request
        # (shared/member_index.py).
        if not await member_index.may_hold(self.lean, member_index.LISTED, author_id):
            return []
        reply = await bus.call(self.nc, graph_api.LISTS_CONTAINING,
                               lists_api.ListsContaining(author_id=author_id))
        return reply.targets

    async def _deliver(self, author_id: int, status_id: int, visibility: str,
                       mentions: tuple[int, ...]) -> None:
        targets = self._readable(await self._targets(author_id), visibility, mentions)
        if not targets:
            return
        written = await self.writer.add([list_key(t.owner_id, t.list_id) for t in targets],
                                        status_id)
        metrics.TIMELINE_WRITES.labels("list").inc(written)
        update = live.encode(live.LiveMessage(event="update", status_id=status_id))
        for target in targets:
            await self.nc.publish(subjects.live_list(target.list_id), update)

    @staticmethod
    def _readable(targets: list[lists_api.ListTarget], visibility: str,
                  mentions: tuple[int, ...]) -> list[lists_api.ListTarget]:
        # A list owner follows the author (lists hold followees only), so all but direct
        # messages are theirs to see; a direct message only when it mentions them.
        return [t for t in targets if visibility != policy.DIRECT or t.owner_id in mentions]

    async def _remove(self, author_id: int, status_id: int) -> None:
        targets = await self._targets(author_id)
        await self.writer.remove([list_key(t.owner_id, t.list_id) for t in targets], [status_id])
        # The list streams that showed it drop it (a stream that never did ignores the id).
        deleted = live.encode(live.LiveMessage(event="delete", status_id=status_id))
        for target in targets:
            await self.nc.publish(subjects.live_list(target.list_id), deleted)

    async def members_changed(self, event: events.ListMembersChanged) -> None:
        key = list_key(event.owner_id, event.list_id)
        for author_id in event.added:
            recent = await bus.call(self.nc, posts_api.STATUS_RECENT_BY_AUTHOR,
                                    posts_api.RecentByAuthor(account_id=author_id,
                                                             limit=MERGE_ON_ADD))
            await self.writer.merge(key, recent.ids)
        for author_id in event.removed:
            recent = await bus.call(self.nc, posts_api.STATUS_RECENT_BY_AUTHOR,
                                    posts_api.RecentByAuthor(account_id=author_id,
                                                             limit=self.writer.cap))
            await self.writer.remove_recent(key, recent.ids)
