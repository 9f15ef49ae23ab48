"""Sending webhook deliveries, at least once, from the state in PostgreSQL.

A delivery (one event for one webhook, recorded by matcher.py) is due at ``due_at``. Senders
in every notify replica claim due deliveries with ``FOR UPDATE SKIP LOCKED`` (store.claim_due),
which also moves ``due_at`` past the attempt's end: each delivery is attempted by one replica at
a time, and one whose sender died mid-attempt becomes due again once the lease ends. So retries
survive restarts: nothing waits in memory but a timer that wakes the loop early.

An attempt is one POST through the SSRF guard (shared/link_fetch.request: the host resolved
and checked now, the connection pinned to the checked address, no redirects: a 3xx is a
failure, at most ``webhook_timeout_s`` in all, at most RESPONSE_BYTES of the answer read for
the log), signed per Standard Webhooks (signing.py). A 2xx delivers it; anything else is tried
again after a random wait up to base * 2^attempts (exponential backoff with full jitter,
``HUBBUB_WEBHOOK_RETRY_BASE_S``) while the retry window lasts
(``HUBBUB_WEBHOOK_RETRY_WINDOW_S``, 24 hours), then the delivery is dead: listed for the admin,
who may replay it (the same ``webhook-id``). A webhook whose last ``webhook_disable_after``
deliveries all died is disabled, and the admin who made it gets a Hubbub notification
(``hubbub.webhook_disabled``).

Secrets are unsealed only to sign, and never logged."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time

import asyncpg
import httpx
from prometheus_client import Counter

from services.notify.store import notifications as notification_store
from services.notify.webhooks import signing, target
from services.notify.webhooks import store as hook_store
from shared import link_fetch
from shared.contracts.webhooks import DeliveryRecord
from shared.ids import new_id
from shared.records import NotificationType
from shared.settings import Settings
from shared.vapid import VapidKeys

log = logging.getLogger(__name__)

POLL_S = 5.0  # how often a sender looks for due deliveries unwoken (another replica's, restarts)
BATCH = 32
CONCURRENCY = 16
RESPONSE_BYTES = 2048  # of each answer, kept in the log
ERROR_CHARS = 500
USER_AGENT = "Hubbub-Webhooks/1"
DISABLED_NOTIFICATION: NotificationType = "hubbub.webhook_disabled"

WEBHOOKS = Counter("hubbub_webhook_attempts_total", "Webhook delivery attempts by outcome",
                   ["outcome"])


def backoff_s(attempts: int, base_s: float, window_s: float) -> float:
    """Full jitter: a random wait up to base * 2^attempts, capped at a quarter of the window
    (a receiver down for hours is still tried several times before the window ends)."""
    cap = max(base_s, window_s / 4)
    return random.uniform(0, min(cap, base_s * 2 ** min(attempts, 30)))


class WebhookSender:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, keys: VapidKeys) -> None:
        self.settings = settings
        self.pool = pool
        self.keys = keys
        self.guard = target.guard(settings)
        self.lease_s = settings.webhook_timeout_s + 30.0
        self._wake = asyncio.Event()
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self._task: asyncio.Task[None] | None = None
        self._timers: set[asyncio.TimerHandle] = set()
        self.in_flight = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-sender")

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        self._wake.set()

    def _wake_in(self, delay_s: float) -> None:
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(timer)
            self.wake()
        timer = loop.call_later(delay_s, fire)
        self._timers.add(timer)

    async def idle(self) -> bool:
        if self.in_flight:
            return False
        async with self.pool.acquire() as conn:
            return await hook_store.due_count(conn) == 0

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_S)
            self._wake.clear()
            try:
                await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # PostgreSQL away for a moment: next round
                log.warning("webhook sender round failed: %s", exc)

    async def send_due(self) -> None:
        while True:
            async with self.pool.acquire() as conn:
                claimed = await hook_store.claim_due(conn, BATCH, self.lease_s)
            if not claimed:
                return
            self.in_flight += len(claimed)
            try:
                await asyncio.gather(*(self._limited(c) for c in claimed))
            finally:
                self.in_flight -= len(claimed)

    async def send_now(self, webhook_id: int, delivery_id: int) -> DeliveryRecord | None:
        """Attempt one delivery at once (a ping, a replay) and answer how it went."""
        async with self.pool.acquire() as conn:
            claimed = await hook_store.claim_due(conn, 1, self.lease_s, only=delivery_id)
        for c in claimed:
            self.in_flight += 1
            try:
                await self._attempt(c)
            finally:
                self.in_flight -= 1
        async with self.pool.acquire() as conn:
            return await hook_store.delivery(conn, webhook_id, delivery_id)

    async def _limited(self, claimed: hook_store.Claimed) -> None:
        async with self._limit:
            try:
                await self._attempt(claimed)
            except Exception:  # a bug must not stop the others; the lease makes it due again
                log.exception("webhook delivery %s failed unexpectedly", claimed.id)

    def _secrets(self, hook: hook_store.Stored) -> list[str] | None:
        current = self.keys.unseal(hook.sealed_secret)
        if current is None:
            return None
        found = [current.decode()]
        if (hook.sealed_previous is not None and hook.previous_until_at is not None
                and hook.previous_until_at > dt.datetime.now(dt.UTC)):
            previous = self.keys.unseal(hook.sealed_previous)
            if previous is not None:
                found.append(previous.decode())
        return found

    async def _attempt(self, claimed: hook_store.Claimed) -> None:
        async with self.pool.acquire() as conn:
            hook = await hook_store.get(conn, claimed.webhook_id)
        if hook is None:
            return  # deleted: its deliveries went with it
        secrets = self._secrets(hook)
        status: int | None = None
        response: str | None = None
        started = time.monotonic()
        if not hook.enabled:
            error: str | None = "the webhook is disabled"
        elif secrets is None:
            error = "the secret cannot be unsealed (the VAPID key pair changed): rotate it"
        else:
            error, status, response = await self._post(hook.url, claimed, secrets)
        latency_ms = int((time.monotonic() - started) * 1000)
        ok = error is None
        retry_in: float | None = None
        if not ok and hook.enabled and secrets is not None:
            wait = backoff_s(claimed.attempts + 1, self.settings.webhook_retry_base_s,
                             self.settings.webhook_retry_window_s)
            if dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait) < claimed.retry_until:
                retry_in = wait
        WEBHOOKS.labels("delivered" if ok else ("retry" if retry_in is not None else "dead")
                        ).inc()
        try:
            await self._record(hook, claimed, ok=ok, status=status, latency_ms=latency_ms,
                               error=error, response=response, retry_in=retry_in)
        except asyncpg.ForeignKeyViolationError:
            return  # the webhook was deleted during the attempt, its deliveries with it
        if retry_in is not None:
            self._wake_in(retry_in)

    async def _record(self, hook: hook_store.Stored, claimed: hook_store.Claimed, *, ok: bool,
                      status: int | None, latency_ms: int, error: str | None,
                      response: str | None, retry_in: float | None) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            state = await hook_store.attempted(
                conn, attempt_id=new_id(), claimed=claimed, ok=ok, status_code=status,
                latency_ms=latency_ms, error=error, response=response, retry_in_s=retry_in)
            if state == "pending" or not hook.enabled:
                streak = 0
            else:
                streak = await hook_store.dead_streak(conn, hook.id, state)
            if streak >= self.settings.webhook_disable_after:
                await self._disable(conn, hook, streak)

    async def _post(self, url: str, claimed: hook_store.Claimed, secrets: list[str]
                    ) -> tuple[str | None, int | None, str | None]:
        """(error or None, status, the answer's start)."""
        headers = signing.headers(secrets, str(claimed.id), int(time.time()), claimed.body)
        headers["Content-Type"] = "application/json"
        try:
            answer = await link_fetch.request(
                "POST", url, guard=self.guard, headers=headers, content=claimed.body,
                timeout_s=self.settings.webhook_timeout_s, max_bytes=RESPONSE_BYTES,
                max_redirects=0, user_agent=USER_AGENT)
        except link_fetch.Refused as exc:
            # A private target (its name may resolve elsewhere now), a scheme; never sent to.
            return f"refused by the SSRF guard: {exc}"[:ERROR_CHARS], None, None
        except TimeoutError:
            return f"timed out after {self.settings.webhook_timeout_s:g} s", None, None
        except (httpx.HTTPError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS], None, None
        text = answer.body.decode("utf-8", "replace")
        if 200 <= answer.status < 300:
            return None, answer.status, text
        if 300 <= answer.status < 400:
            where = answer.headers.get("location", "")
            return (f"redirected ({answer.status}) to {where[:200]}: not followed",
                    answer.status, text)
        return f"answered {answer.status}", answer.status, text

    async def _disable(self, conn: asyncpg.Connection, hook: hook_store.Stored,
                       streak: int) -> None:
        reason = f"{streak} deliveries in a row failed for the whole retry window"
        if not await hook_store.disable(conn, hook.id, reason):
            return
        log.warning("webhook %s disabled: %s", hook.id, reason)
        # The admin who made it hears of it in Hubbub (once per disabling: the key).
        await notification_store.insert(
            conn, id=new_id(), account_id=hook.created_by, type=DISABLED_NOTIFICATION,
            from_account_id=hook.created_by, status_id=None,
            dedupe_key=f"webhook-disabled:{hook.id}:{new_id()}",
            community_id=hook.community_id, at_ms=int(time.time() * 1000))
