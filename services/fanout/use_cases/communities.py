"""Community membership in home timelines: a new member gets the community's recent posts, a
member who leaves (or is removed) loses them."""

from __future__ import annotations

from nats.aio.client import Client as NATS

from shared import bus, events
from shared.contracts import posts as posts_api
from shared.records import home_key
from shared.routing import EventRoutes
from shared.timelines.writes import TimelineWriter

MERGE_ON_JOIN = 40


class CommunityHandlers:
    def __init__(self, nc: NATS, writer: TimelineWriter) -> None:
        self.nc = nc
        self.writer = writer

    def routes(self) -> EventRoutes:
        return (EventRoutes().on(events.CommunityJoined, self.joined)
                .on(events.CommunityLeft, self.left))

    async def joined(self, event: events.CommunityJoined) -> None:
        # Private community posts need a follow of their author: they are left to fanout at
        # post time, not merged here.
        recent = await self._recent(event.community_id, MERGE_ON_JOIN, include_private=False)
        await self.writer.merge(home_key(event.account_id), recent)

    async def left(self, event: events.CommunityLeft) -> None:
        recent = await self._recent(event.community_id, self.writer.cap, include_private=True)
        await self.writer.remove_recent(home_key(event.account_id), recent)

    async def _recent(self, community_id: int, limit: int, *, include_private: bool
                      ) -> list[int]:
        reply = await bus.call(self.nc, posts_api.STATUS_RECENT_IN_COMMUNITY,
                               posts_api.RecentInCommunity(community_id=community_id,
                                                           limit=limit,
                                                           include_private=include_private))
        return reply.ids
