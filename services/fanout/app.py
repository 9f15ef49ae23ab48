"""The fanout service: consumes post and follow events and maintains the Redis timelines; serves
home timeline rebuilds (``hubbub.svc.fanout.home.rebuild``); reports consumer lag."""

from __future__ import annotations

from services.fanout import deleted
from services.fanout.consumer import JoinRedelivered, ProgressingConsumer
from services.fanout.lag import INTERVAL_S, ConsumerLag, Every
from services.fanout.rebuild import Rebuilder, RebuildOnRead
from services.fanout.use_cases.communities import CommunityHandlers
from services.fanout.use_cases.deliver_status import FanoutHandlers
from services.fanout.use_cases.lists import ListHandlers
from services.fanout.use_cases.public import PublicTimelines
from services.fanout.use_cases.relations import RelationHandlers
from services.runtime import BaseService
from shared import events, metrics
from shared.contracts import fanout as fanout_api
from shared.routing import EventRoutes
from shared.service_host import ServiceHost
from shared.timelines import compact
from shared.timelines.activity import forget_stale_reads
from shared.timelines.writes import TimelineWriter

CONCURRENCY = 64  # events handled at once by one fanout process
FETCH = 16


class FanoutService(BaseService):
    name = "fanout"

    async def setup(self) -> None:
        assert self.nc and self.js and self.redis
        # The writer (redis-py packing in C) for the rest; and the lean client for the timeline
        # scripts and the few small commands of every event: redis-py's overhead per command
        # (~0.2 ms of CPU) was most of their cost (shared/cache.py RedisClients).
        r, lean = self.redis.writer, self.redis.lean
        writer = TimelineWriter(r, self.settings.home_timeline_max, self.settings.inactive_days,
                                lean=lean)
        # A warning only: timelines work either way, at three times the memory as skiplists.
        await compact.timelines_stay_compact(r, self.settings.home_timeline_max)
        self.statuses = FanoutHandlers(
            self.nc, r, writer, follower_threshold=self.settings.fanout_follower_threshold,
            lean=lean)
        # Each part declares the events it handles; the consumer receives those and no others,
        # and an event goes to the parts that handle it, side by side (shared.routing).
        self.routes = home = EventRoutes()
        for part in (self.statuses, RelationHandlers(self.nc, writer),
                     ListHandlers(self.nc, r, writer, lean), PublicTimelines(self.nc, writer),
                     CommunityHandlers(self.nc, writer)):
            home.include(part.routes())
        gone = deleted.DeletedStatuses(lean)

        async def handle(event: events.AnyEvent) -> None:
            with metrics.FANOUT_SECONDS.labels(event.type).time():
                created = deleted.created_ids(event)
                if created and await gone.any_deleted(created):
                    metrics.FANOUT_SKIPPED.labels("deleted").inc()
                    return  # its delete came first: nothing to add, nothing to announce
                removed = deleted.removed_ids(event)
                if removed:
                    await gone.record(removed)
                await home.dispatch(event)
                if created and await gone.any_deleted(created):
                    await home.dispatch(deleted.undo(event))  # deleted while we wrote it

        consumer = ProgressingConsumer(
            self.js, "fanout-home", JoinRedelivered(handle),
            filter_subjects=home.filter_subjects(),
            max_deliver=self.settings.max_deliver,
            # Each event waits on several round trips (graph pages, Redis scripts): more in
            # flight keeps the writer's lanes full (TimelineWrites bounds the calls to Redis).
            # Fetched a few at a time: a fetched event waiting for a free slot is not yet in
            # progress, and its ack wait runs.
            batch=FETCH, concurrency=CONCURRENCY,
        )
        await consumer.start()
        self.keep(consumer)

        self.rebuilder = Rebuilder(self.nc, r, writer, self.settings)
        host = ServiceHost(self.nc, fanout_api.VERBS)
        host.serve(fanout_api.HOME_REBUILD, RebuildOnRead(self.rebuilder, r, self.settings))
        await host.start()
        self.keep(host)

        for chore in (Every(INTERVAL_S, ConsumerLag(self.js).refresh, "consumer-lag"),
                      Every(600, lambda: forget_stale_reads(r, self.settings.inactive_days),
                            "forget-stale-reads")):
            await chore.start()
            self.keep(chore)
