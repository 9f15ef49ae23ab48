"""notify's mail channel: a durable JetStream consumer of its own (``notify-mail``) that renders
each MailRequested event and sends it, so a slow or failing mail server holds up nothing else
(not notifications, not the request that asked for the mail).

Retried, never lost: a server away, slow or refusing for now (see transport.py) is an outage,
and the consumer holds the event and tries again without spending its deliveries. A message the
server refuses for good, or an event that cannot become a message, is logged (without its link)
and counted, then acknowledged: trying again would not change the answer.

Sent once, as far as SMTP allows: the send is recorded in ``notify.mail_sent`` under the event
id, in a transaction that holds the event's advisory lock while it sends, so a redelivered or
duplicated event finds the record and sends nothing. A crash between the server's "250 OK" and
the record's commit sends the message again on redelivery: at-least-once is the honest
guarantee for SMTP, and the copy carries the same Message-ID for receivers to drop.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from pathlib import Path

import asyncpg
from nats.js import JetStreamContext
from prometheus_client import Counter

from services.notify.mailer import store
from services.notify.mailer.render import Unsendable, render, sender
from services.notify.mailer.smtp_url import parse_smtp_url
from services.notify.mailer.transport import MailDrop, MailRefused, SmtpTransport
from shared import events
from shared.consumers import ACK_WAIT_S, EventConsumer
from shared.routing import EventRoutes
from shared.settings import Settings

log = logging.getLogger(__name__)

DURABLE = "notify-mail"
# Few at a time: each send holds a database connection (the event's lock) while it talks SMTP.
CONCURRENCY = 4

MAIL = Counter("hubbub_mail_total", "Outgoing mail by outcome", ["outcome"])


class Mailer:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, js: JetStreamContext, *,
                 durable: str = DURABLE, ack_wait_s: float = ACK_WAIT_S) -> None:
        self.settings = settings
        self.pool = pool
        self.js = js
        self.durable = durable
        self.ack_wait_s = ack_wait_s  # how soon an event held by a stopped process comes again
        # A bad URL or From: stops the start with a clear error, not every message later.
        self.smtp = SmtpTransport(parse_smtp_url(settings.smtp_url)) if settings.smtp_url else None
        self.drop = MailDrop(Path(settings.data_dir) / "mail")
        _check_sender(settings)
        self._consumer: EventConsumer | None = None

    def routes(self) -> EventRoutes:
        return EventRoutes().on(events.MailRequested, self.send)

    async def start(self) -> None:
        routes = self.routes()
        self._consumer = EventConsumer(
            self.js, self.durable, routes, filter_subjects=routes.filter_subjects(),
            max_deliver=self.settings.max_deliver, concurrency=CONCURRENCY,
            ack_wait_s=self.ack_wait_s,
        )
        await self._consumer.start()
        where = self.smtp.target if self.smtp else self.drop.folder
        log.info("mailer %s sends to %s", self.durable, where)

    async def stop(self) -> None:
        if self._consumer:
            await self._consumer.stop()

    async def send(self, event: events.MailRequested) -> None:
        try:
            message = render(event, self.settings)
        except Unsendable as exc:
            log.error("mail %s (%s) cannot be sent: %s; dropped", event.id, event.template, exc)
            MAIL.labels("invalid").inc()
            return
        if self.smtp is None:
            # The file's name is the event id: a redelivery finds it and writes nothing twice.
            if not self.drop.has(event.id):
                self.drop.write(event.id, message, event.params.get("link"))
                MAIL.labels("written").inc()
            return
        async with self.pool.acquire() as conn, conn.transaction():
            await store.hold_event(conn, event.id)
            if await store.was_sent(conn, event.id):
                MAIL.labels("duplicate").inc()
                return
            try:
                await self.smtp.send(message)  # MailServerAway: held and retried (above)
            except MailRefused as exc:
                log.warning("mail %s (%s) for %s refused by the server: %s; dropped", event.id,
                            event.template, event.to, exc)
                MAIL.labels("refused").inc()
                return
            await store.record_sent(conn, event.id)
        MAIL.labels("sent").inc()
        log.info("mail %s (%s) sent to %s", event.id, event.template, event.to)

    async def idle(self) -> bool:
        return bool(self._consumer and await self._consumer.idle())


def _check_sender(settings: Settings) -> None:
    message = EmailMessage()
    try:
        message["From"] = sender(settings)
        header = message["From"]
    except (ValueError, IndexError, TypeError) as exc:
        raise ValueError(f"HUBBUB_MAIL_FROM is not an address: {exc}") from None
    if header.defects or len(header.addresses) != 1:
        raise ValueError("HUBBUB_MAIL_FROM is not one address (Name <user@domain>)")
