"""List timelines: a status by a listed account goes to every list that holds its author (when
the list's owner may see it); list membership changes merge or remove the account's posts."""

from __future__ import annotations

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from shared import bus, events, metrics, policy, subjects
from shared.contracts import lists as lists_api
from shared.contracts import live
from shared.contracts import posts as posts_api
from shared.records import list_key
from shared.timelines.writes import TimelineWriter

MERGE_ON_ADD = 40


class ListHandlers:
    def __init__(self, nc: NATS, r: redis.Redis, writer: TimelineWriter) -> None:
        self.nc = nc
        self.r = r
        self.writer = writer

    async def __call__(self, event: events.AnyEvent) -> None:
        if isinstance(event, events.StatusCreated):
            if event.community_id is None:
                await self._deliver(event.account_id, event.status_id, event.visibility,
                                    event.mentions)
        elif isinstance(event, events.ReblogCreated):
            await self._deliver(event.account_id, event.reblog_id, event.visibility, ())
        elif isinstance(event, events.StatusDeleted):
            await self._remove(event.account_id, event.status_id)
        elif isinstance(event, events.ReblogRemoved):
            await self._remove(event.account_id, event.reblog_id)
        elif isinstance(event, events.ListMembersChanged):
            await self._members_changed(event)
        elif isinstance(event, events.ListDeleted):
            await self.r.delete(list_key(event.owner_id, event.list_id))

    async def _targets(self, author_id: int) -> list[lists_api.ListTarget]:
        reply = await bus.request(self.nc, "graph", "lists.containing",
                                  lists_api.ListsContaining(author_id=author_id),
                                  lists_api.ListTargets)
        return reply.targets

    async def _deliver(self, author_id: int, status_id: int, visibility: str,
                       mentions: tuple[int, ...]) -> None:
        targets = await self._targets(author_id)
        # A list owner follows the author (lists hold followees only), so all but direct
        # messages are theirs to see; a direct message only when it mentions them.
        targets = [t for t in targets if visibility != policy.DIRECT or t.owner_id in mentions]
        if not targets:
            return
        written = await self.writer.add([list_key(t.owner_id, t.list_id) for t in targets],
                                        status_id)
        metrics.TIMELINE_WRITES.labels("list").inc(written)
        update = live.encode(live.LiveMessage(event="update", status_id=status_id))
        for target in targets:
            await self.nc.publish(subjects.live_list(target.list_id), update)

    async def _remove(self, author_id: int, status_id: int) -> None:
        targets = await self._targets(author_id)
        await self.writer.remove([list_key(t.owner_id, t.list_id) for t in targets], [status_id])

    async def _members_changed(self, event: events.ListMembersChanged) -> None:
        key = list_key(event.owner_id, event.list_id)
        for author_id in event.added:
            recent = await bus.request(self.nc, "posts", "status.recent_by_author",
                                       posts_api.RecentByAuthor(account_id=author_id,
                                                                limit=MERGE_ON_ADD),
                                       posts_api.Ids)
            await self.writer.merge(key, recent.ids)
        for author_id in event.removed:
            recent = await bus.request(self.nc, "posts", "status.recent_by_author",
                                       posts_api.RecentByAuthor(account_id=author_id,
                                                                limit=self.writer.cap),
                                       posts_api.Ids)
            await self.writer.remove_recent(key, recent.ids)
