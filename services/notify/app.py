"""The notify service: notifications, direct conversations and their live delivery. Owns the
``notify`` schema."""

from __future__ import annotations

from services.notify import handlers
from services.notify.mailer import Mailer
from services.notify.push import Pusher
from services.notify.push import handlers as push_handlers
from services.notify.push.jobs import PushJobs
from services.notify.use_cases.keep_conversations import KeepConversations
from services.notify.use_cases.notify_people import NotifyPeople
from services.notify.webhooks import Webhooks
from services.notify.webhooks import handlers as webhook_handlers
from services.runtime import BaseService
from shared import member_index, vapid
from shared.consumers import EventConsumer
from shared.contracts import notify as notify_api
from shared.outbox import OutboxRelay
from shared.periodic import Every
from shared.request_keys import RequestKeys
from shared.service_host import ServiceHost


class NotifyService(BaseService):
    name = "notify"
    schema = "notify"
    # Its index of the places webhooks listen; graph's indexes and caches, read
    # (use_cases/notify_people.py, shared/member_index.py).
    uses_redis = True

    async def setup(self) -> None:
        assert self.pool and self.js and self.nc
        keys = vapid.keys(self.settings)  # a bad key pair stops the start with a clear error
        # Push jobs are written to notify's outbox with their notifications (push/jobs.py).
        relay = OutboxRelay(self.pool, self.js, "notify", database_url=self.settings.database_url)
        await relay.start()
        self.keep(relay)
        self.relay = relay
        push_jobs = PushJobs(self.pool, self.nc)
        assert self.redis
        routes = NotifyPeople(self.pool, self.nc, push_jobs, self.redis.lean).routes()
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
        # Web Push too: a push service that hangs holds up no notification, nor the mail.
        pusher = Pusher(self.settings, self.pool, self.nc, self.js, keys)
        await pusher.start()
        self.keep(pusher)
        self.pusher = pusher
        # Webhooks too: a partner's receiver that hangs holds up nothing else.
        webhooks = Webhooks(self.settings, self.pool, self.nc, self.js, keys)
        await webhooks.start()
        self.keep(webhooks)
        self.webhooks = webhooks
        host = ServiceHost(self.nc, notify_api.VERBS, keys=RequestKeys(self.pool))
        handlers.register(host, self.pool)
        push_handlers.register(host, self.pool, self.settings, keys)
        webhook_handlers.register(host, self.pool, self.settings, keys, webhooks.sender,
                                  self.redis.lean)
        await host.start()
        self.keep(host)
        pool, cache = self.pool, self.redis.lean
        hooked = Every(member_index.CHECK_S,
                       lambda: webhook_handlers.keep_hooked_index(pool, cache), "hooked-index")
        await hooked.start()
        self.keep(hooked)

    def checks(self) -> dict[str, bool]:
        checks = super().checks()
        relay = getattr(self, "relay", None)
        checks["outbox"] = bool(relay and relay.healthy)
        return checks
