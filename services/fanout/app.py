"""The fanout service: consumes post and follow events and maintains the Redis timelines."""

from __future__ import annotations

from services.fanout.use_cases.communities import CommunityHandlers
from services.fanout.use_cases.deliver_status import FanoutHandlers
from services.fanout.use_cases.lists import ListHandlers
from services.fanout.use_cases.public import PublicTimelines
from services.fanout.use_cases.relations import RelationHandlers
from services.runtime import BaseService
from shared import events, subjects
from shared.bus import EventConsumer
from shared.timelines import TimelineWriter

HOME_EVENTS = ["post.status.created", "post.status.deleted", "post.status.updated",
               "post.reblog.created", "post.reblog.removed", "graph.follow.created",
               "graph.follow.removed", "graph.block.created", "graph.mute.created",
               "graph.list.members_changed", "graph.list.deleted", "graph.community.joined",
               "graph.community.left"]


class FanoutService(BaseService):
    name = "fanout"

    async def setup(self) -> None:
        assert self.nc and self.js and self.redis
        writer = TimelineWriter(self.redis, self.settings.home_timeline_max)
        statuses = FanoutHandlers(self.nc, self.redis, writer)
        relations = RelationHandlers(self.nc, writer)
        lists = ListHandlers(self.nc, self.redis, writer)
        public = PublicTimelines(self.nc, writer)
        communities = CommunityHandlers(self.nc, writer)

        async def handle(event: events.AnyEvent) -> None:
            # Each part is idempotent on its own, so a redelivery after a partial run is safe.
            await statuses(event)
            await relations(event)
            await lists(event)
            await public(event)
            await communities(event)

        consumer = EventConsumer(
            self.js, "fanout-home", handle,
            filter_subjects=[subjects.event(t) for t in HOME_EVENTS],
            max_deliver=self.settings.max_deliver,
        )
        await consumer.start()
        self.keep(consumer)
