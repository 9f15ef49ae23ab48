"""The notify service: notifications and their live delivery. Owns the ``notify`` schema."""

from __future__ import annotations

from services.notify import handlers
from services.notify.use_cases.notify_people import NotifyPeople
from services.runtime import BaseService
from shared import subjects
from shared.bus import EventConsumer, ServiceHost
from shared.contracts import notify as notify_api

NOTIFY_EVENTS = ["post.status.created", "post.status.deleted", "post.status.updated",
                 "post.favourite.added", "post.favourite.removed", "post.reblog.created",
                 "post.reblog.removed", "post.poll.ended", "graph.follow.created",
                 "graph.follow_request.created", "graph.community.invited"]


class NotifyService(BaseService):
    name = "notify"
    schema = "notify"
    uses_redis = False

    async def setup(self) -> None:
        assert self.pool and self.js and self.nc
        consumer = EventConsumer(
            self.js, "notify", NotifyPeople(self.pool, self.nc),
            filter_subjects=[subjects.event(t) for t in NOTIFY_EVENTS],
            max_deliver=self.settings.max_deliver,
        )
        await consumer.start()
        self.keep(consumer)
        host = ServiceHost(self.nc, notify_api.VERBS)
        handlers.register(host, self.pool)
        await host.start()
        self.keep(host)
