"""The graph service: accounts, networks, follows. Owns the ``graph`` schema."""

from __future__ import annotations

from services.graph import communities, handlers, lists, relations
from services.graph.use_cases.count_status import MAX_GROUP, CountStatus
from services.runtime import BaseService
from shared import subjects
from shared.bus import EventConsumer, ServiceHost
from shared.outbox import OutboxRelay


class GraphService(BaseService):
    name = "graph"
    schema = "graph"

    async def setup(self) -> None:
        assert self.pool and self.js and self.nc and self.redis
        relay = OutboxRelay(self.pool, self.js, "graph", database_url=self.settings.database_url)
        await relay.start()
        self.keep(relay)
        counter = EventConsumer(
            self.js, "graph-counters", CountStatus(self.pool, self.redis.main),
            filter_subjects=[subjects.event("post.status.created"),
                             subjects.event("post.status.deleted")],
            max_deliver=self.settings.max_deliver,
            # Every event in flight may join the next group commit (CountStatus), so groups
            # grow across fetches.
            batch=16, concurrency=MAX_GROUP,
        )
        await counter.start()
        self.keep(counter)
        host = ServiceHost(self.nc, "graph")
        handlers.register(host, self.pool, self.redis.main)
        relations.register(host, self.pool, self.redis.main)
        communities.register(host, self.pool, self.redis.main)
        lists.register(host, self.pool, self.redis.main)
        await host.start()
        self.keep(host)
