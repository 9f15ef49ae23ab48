"""Outgoing webhooks, one of notify's channels: subscriptions and their verbs (handlers.py),
the consumer that matches events to them (matcher.py, durable ``notify-webhooks``), and the
sender that signs (signing.py) and delivers them with retries from PostgreSQL (sender.py)."""

from __future__ import annotations

import asyncpg
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from services.notify.webhooks.matcher import DURABLE, WebhookMatcher
from services.notify.webhooks.sender import WebhookSender
from shared.consumers import EventConsumer
from shared.settings import Settings
from shared.vapid import VapidKeys

__all__ = ["DURABLE", "Webhooks"]


class Webhooks:
    """The consumer and the sender, started and stopped together."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool, nc: NATS, js: JetStreamContext,
                 keys: VapidKeys) -> None:
        self.sender = WebhookSender(settings, pool, keys)
        routes = WebhookMatcher(settings, pool, nc, self.sender).routes()
        self.consumer = EventConsumer(js, DURABLE, routes,
                                      filter_subjects=routes.filter_subjects(),
                                      max_deliver=settings.max_deliver)

    async def start(self) -> None:
        await self.sender.start()
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.sender.stop()

    async def idle(self) -> bool:
        return await self.consumer.idle() and await self.sender.idle()
