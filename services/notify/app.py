"""The notify service: notifications, direct conversations and their live delivery. Owns the
``notify`` schema."""

from __future__ import annotations

from services.notify import handlers
from services.notify.mailer import Mailer
from services.notify.use_cases.keep_conversations import KeepConversations
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
        # Conversations on a consumer of their own (use_cases/keep_conversations.py says why).
        conversations = KeepConversations(self.pool, self.nc).routes()
        conversation_consumer = EventConsumer(
            self.js, "notify-conversations", conversations,
            filter_subjects=conversations.filter_subjects(), max_deliver=self.settings.max_deliver,
        )
        await conversation_consumer.start()
        self.keep(conversation_consumer)
        # Mail on a consumer of its own: a slow mail server holds up no notification.
        mailer = Mailer(self.settings, self.pool, self.js)
        await mailer.start()
        self.keep(mailer)
        host = ServiceHost(self.nc, notify_api.VERBS)
        handlers.register(host, self.pool)
        await host.start()
        self.keep(host)
