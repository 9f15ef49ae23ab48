"""Relationship events in timelines: a block removes each side's posts from the other's home
timeline; a mute removes the muted account's posts from the muter's (and the read path hides
what arrives later, for as long as the mute lasts)."""

from __future__ import annotations

from nats.aio.client import Client as NATS

from shared import bus, events
from shared.contracts import posts as posts_api
from shared.records import home_key
from shared.routing import EventRoutes
from shared.timelines.writes import TimelineWriter


class RelationHandlers:
    def __init__(self, nc: NATS, writer: TimelineWriter) -> None:
        self.nc = nc
        self.writer = writer

    def routes(self) -> EventRoutes:
        return (EventRoutes().on(events.BlockCreated, self.blocked)
                .on(events.MuteCreated, self.muted))

    async def blocked(self, event: events.BlockCreated) -> None:
        await self._clear(reader=event.account_id, author=event.target_id)
        await self._clear(reader=event.target_id, author=event.account_id)

    async def muted(self, event: events.MuteCreated) -> None:
        await self._clear(reader=event.account_id, author=event.target_id)

    async def _clear(self, *, reader: int, author: int) -> None:
        recent = await bus.call(
            self.nc, posts_api.STATUS_RECENT_BY_AUTHOR,
            posts_api.RecentByAuthor(account_id=author, limit=self.writer.cap))
        await self.writer.remove_recent(home_key(reader), recent.ids)
