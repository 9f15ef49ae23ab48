"""The posts service: statuses and everything written about them. Owns the ``posts`` schema."""

from __future__ import annotations

from services.posts import handlers
from services.posts.use_cases.polls import ClosePolls
from services.posts.use_cases.post_status import PostStatus
from services.posts.use_cases.publish_due_statuses import PublishDueStatuses
from services.runtime import BaseService
from shared.bus import ServiceHost
from shared.contracts import posts as posts_api
from shared.outbox import OutboxRelay


class PostsService(BaseService):
    name = "posts"
    schema = "posts"

    async def setup(self) -> None:
        assert self.pool and self.js and self.nc and self.redis
        relay = OutboxRelay(self.pool, self.js, "posts", database_url=self.settings.database_url)
        await relay.start()
        self.keep(relay)
        self.relay = relay
        closer = ClosePolls(self.pool, self.redis.main)
        await closer.start()
        self.keep(closer)
        publisher = PublishDueStatuses(
            self.pool, self.nc, PostStatus(self.pool, self.redis.main, self.nc, self.settings),
            self.settings.scheduled_check_seconds)
        await publisher.start()
        self.keep(publisher)
        host = ServiceHost(self.nc, posts_api.VERBS)
        handlers.register(host, self.pool, self.redis.main, self.nc, self.settings)
        await host.start()
        self.keep(host)

    def checks(self) -> dict[str, bool]:
        checks = super().checks()
        relay = getattr(self, "relay", None)
        checks["outbox"] = bool(relay and relay.healthy)
        return checks
