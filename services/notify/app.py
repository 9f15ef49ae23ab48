"""The notify service: notifications and their live delivery. Owns the ``notify`` schema."""

from __future__ import annotations

from services.notify import handlers
from services.notify.use_cases.notify_people import NotifyPeople
from services.runtime import BaseService
from shared.bus import EventConsumer, ServiceHost
from shared.contracts import notify as notify_api


class NotifyService(BaseService):
    name = "notify"
    schema = "notify"
    uses_redis = False

    async def setup(self) -> None:
        assert self.pool and self.js and self.nc
        routes = NotifyPeople(self.pool, self.nc).routes()
        consumer = EventConsumer(
            self.js, "notify", routes, filter_subjects=routes.filter_subjects(),
            max_deliver=self.settings.max_deliver,
        )
        await consumer.start()
        self.keep(consumer)
        host = ServiceHost(self.nc, notify_api.VERBS)
        handlers.register(host, self.pool)
        await host.start()
        self.keep(host)
