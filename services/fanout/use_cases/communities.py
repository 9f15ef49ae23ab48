"""Community membership in home timelines: a new member gets the community's recent posts, a
member who leaves (or is removed) loses them."""

from __future__ import annotations

from nats.aio.client import Client as NATS

from shared import bus, events
from shared.contracts import posts as posts_api
from shared.records import home_key
from shared.timelines.writes import TimelineWriter

MERGE_ON_JOIN = 40


class CommunityHandlers:
    def __init__(self, nc: NATS, writer: TimelineWriter) -> None:
        self.nc = nc
        self.writer = writer

    async def __call__(self, event: events.AnyEvent) -> None:
        if isinstance(event, events.CommunityJoined):
            # Private community posts need a follow of their author: they are left to fanout
            # at post time, not merged here.
            recent = await self._recent(event.community_id, MERGE_ON_JOIN, include_private=False)
            await self.writer.merge(home_key(event.account_id), recent)
        elif isinstance(event, events.CommunityLeft):
            recent = await self._recent(event.community_id, self.writer.cap,
                                        include_private=True)
            await self.writer.remove_recent(home_key(event.account_id), recent)

    async def _recent(self, community_id: int, limit: int, *, include_private: bool
                      ) -> list[int]:
        reply = await bus.request(self.nc, "posts", "status.recent_in_community",
                                  posts_api.RecentInCommunity(community_id=community_id,
                                                              limit=limit,
                                                              include_private=include_private),
                                  posts_api.Ids)
        return reply.ids
