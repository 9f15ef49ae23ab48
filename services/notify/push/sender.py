"""notify's Web Push channel: a durable JetStream consumer of its own (``notify-push``) that
sends each PushRequested event to its subscription's push service, encrypted for the browser
(RFC 8291, ece.py) and signed with the instance's VAPID key (RFC 8292, shared/vapid.py).

What the push service answers decides what follows:
- 2xx: sent.
- 404 or 410: the browser dropped the subscription; it is deleted here too, and the message
  with it.
- 429, 5xx, a timeout, a refused or broken connection: tried again with backoff (the
  consumer's NAK delays), at most ``max_deliver`` times, then given up with a log line. Each
  attempt waits at most ``push_timeout_s``, and holds one of CONCURRENCY slots: a push service
  that hangs delays only its own messages.
- anything else (a redirect, never followed; 400, 401, 403, 413): the same answer would come
  again; dropped with a log line.
Before each attempt the endpoint is checked again by the SSRF guard (its name may point
elsewhere now), and the connection is made to the address checked; one that fails is dropped,
never sent to.

Sent at least once: a crash between the service's 201 and the ack sends again on
redelivery (push services and browsers show a repeated notification once per tag at worst).
A subscription deleted, replaced or revoked since the event was queued is not sent to.

The consumer also hears of deactivated accounts, and deletes their subscriptions."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg
import httpx
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from prometheus_client import Counter

from services.notify.push import ece, endpoint, payload
from services.notify.push import store as push_store
from shared import events
from shared.consumers import ACK_WAIT_S, CONSUMER_BACKOFF_S, EventConsumer
from shared.routing import EventRoutes
from shared.settings import Settings
from shared.vapid import VapidKeys, subject

log = logging.getLogger(__name__)

DURABLE = "notify-push"
CONCURRENCY = 16
TTL_S = 48 * 3600  # how long a push service keeps a message for a browser that is away

PUSH = Counter("hubbub_push_total", "Web Push messages by outcome", ["outcome"])


class PushServiceAway(Exception):
    """The push service failed for now (5xx, 429, timeout, connection): tried again later."""


class Pusher:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, nc: NATS, js: JetStreamContext,
                 keys: VapidKeys, *, durable: str = DURABLE, max_deliver: int | None = None,
                 backoff_s: Sequence[float] = CONSUMER_BACKOFF_S,
                 ack_wait_s: float = ACK_WAIT_S) -> None:
        self.settings = settings
        self.pool = pool
        self.nc = nc
        self.js = js
        self.keys = keys
        self.durable = durable
        self.max_deliver = max_deliver or settings.max_deliver
        self.backoff_s = backoff_s
        self.ack_wait_s = ack_wait_s
        self.subject = subject(settings)
        # No redirects (a push service does not send one; following it could reach inside),
        # no proxy from the environment, one bound for connect, write and answer. Each message
        # on a connection of its own: connections are made to a checked address (endpoint.pin),
        # and one kept open for a name must not carry another name's message.
        self.client = httpx.AsyncClient(timeout=settings.push_timeout_s,
                                        follow_redirects=False, trust_env=False,
                                        limits=httpx.Limits(max_keepalive_connections=0))
        self._consumer: EventConsumer | None = None

    def routes(self) -> EventRoutes:
        return (EventRoutes().on(events.PushRequested, self.send)
                .on(events.AccountDeactivated, self.account_deactivated))

    async def start(self) -> None:
        routes = self.routes()
        self._consumer = EventConsumer(
            self.js, self.durable, routes, filter_subjects=routes.filter_subjects(),
            max_deliver=self.max_deliver, concurrency=CONCURRENCY, ack_wait_s=self.ack_wait_s,
            backoff_s=self.backoff_s)
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer:
            await self._consumer.stop()
        await self.client.aclose()

    async def idle(self) -> bool:
        return bool(self._consumer and await self._consumer.idle())

    async def account_deactivated(self, event: events.AccountDeactivated) -> None:
        async with self.pool.acquire() as conn:
            await push_store.delete_of_account(conn, event.account_id)

    async def send(self, event: events.PushRequested) -> None:
        async with self.pool.acquire() as conn:
            if await push_store.was_sent(conn, event.id):
                # Redelivered after it was sent (its ack lost in a failover): once is enough.
                # (Two copies at once can still both send, as can a crash between the push
                # service's answer and the record: at-least-once is the honest guarantee.)
                PUSH.labels("duplicate").inc()
                return
            found = await push_store.get(conn, event.subscription_id)
        if found is None or not found.alerts.get(event.notification_type):
            PUSH.labels("unsubscribed").inc()  # deleted, replaced or revoked; or alert off
            return
        token = self.keys.unseal(found.sealed_token)
        if token is None:
            # Sealed by another VAPID key: the browser refuses this key's messages anyway.
            log.warning("push subscription %s was made with another VAPID key; deleted",
                        found.id)
            await self._delete(found.id, "stale_key")
            return
        try:
            target = await endpoint.pin(found.endpoint,
                                    allow_loopback=self.settings.push_allow_http_localhost)
        except endpoint.Unresolvable as exc:
            PUSH.labels("retry").inc()
            raise PushServiceAway(f"push endpoint of subscription {found.id}: {exc}") from None
        except endpoint.UnsafeUrl as exc:
            log.warning("push %s for subscription %s not sent: the endpoint %s; dropped",
                        event.id, found.id, exc)
            PUSH.labels("refused").inc()
            return
        body = ece.encrypt(await payload.build(self.nc, event, token.decode(),
                                               self.settings.base_url),
                           found.p256dh, found.auth)
        headers = {
            "Authorization": self.keys.authorization(found.endpoint, self.subject),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL_S),
            "Urgency": "normal",
            "Host": target.host,
        }
        try:
            answer = await self.client.post(target.url, content=body, headers=headers,
                                            extensions={"sni_hostname": target.server_name})
        except httpx.HTTPError as exc:  # timeouts, refused and broken connections
            PUSH.labels("retry").inc()
            raise PushServiceAway(f"push to subscription {found.id}: "
                                  f"{type(exc).__name__} {exc}") from None
        status = answer.status_code
        if 200 <= status < 300:
            async with self.pool.acquire() as conn:
                await push_store.record_sent(conn, event.id)
            PUSH.labels("sent").inc()
            return
        if status in (404, 410):
            log.info("push subscription %s is gone (%d); deleted", found.id, status)
            await self._delete(found.id, "gone")
            return
        if status == 429 or status >= 500:
            PUSH.labels("retry").inc()
            raise PushServiceAway(f"push to subscription {found.id}: the service answered "
                                  f"{status}")
        log.warning("push %s to subscription %s refused (%d); dropped", event.id, found.id,
                    status)
        PUSH.labels("refused").inc()

    async def _delete(self, subscription_id: int, outcome: str) -> None:
        async with self.pool.acquire() as conn:
            await push_store.delete(conn, subscription_id)
        PUSH.labels(outcome).inc()
