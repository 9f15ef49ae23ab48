"""NATS: connections, the event stream, durable consumers, the services API, typed requests.

Three ways services talk, each with its guarantee:
- events: JetStream (``hubbub.evt.>``), at-least-once, published by the outbox relay with
  ``Nats-Msg-Id`` so duplicates inside the window are dropped; consumers are idempotent;
- requests: the NATS services API (``hubbub.svc.<service>.<verb>``), queue groups so that N
  instances share the load; errors come back as typed replies (``shared.errors``);
- live delivery: core NATS (``hubbub.live.>``), at-most-once; clients catch up by REST.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
import nats
import nats.errors
import nats.js.errors
import nats.micro
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    ConsumerInfo,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.micro.request import Request
from nats.micro.service import Service

from shared import (
    access_log,
    errors,
    events,
    metrics,
    nats_users,
    request_keys,
    subjects,
    tls,
    tracing,
)
from shared.cancel import raise_if_cancelled
from shared.compat import nats as nats_compat
from shared.contracts.verb import WRITE, Rep, Req, Verb, VerbSet
from shared.readiness import is_server_away
from shared.settings import Settings

log = logging.getLogger(__name__)

ERROR_CODE_HEADER = "Nats-Service-Error-Code"
ERROR_HEADER = "Nats-Service-Error"

# Redelivery delays for a failed event: a few quick retries, then slower ones. The length is the
# number of retries JetStream schedules itself; `max_deliver` bounds the total.
CONSUMER_BACKOFF_S = [0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0]
# An event whose handler waits for a server that is away is tried again after these delays
# (doubling), held in progress meanwhile: see EventConsumer._handle_through_outages.
OUTAGE_RETRY_FIRST_S = 0.5
OUTAGE_RETRY_MAX_S = 10.0


def is_outage(exc: BaseException) -> bool:
    """A server away (shared/readiness.py), or a service that answers so."""
    return isinstance(exc, errors.Unavailable) or is_server_away(exc)


ACK_WAIT_S = 30.0
# How long a stopping consumer waits for the events in hand to finish. Then they are cancelled,
# unacknowledged: JetStream delivers them again after the ack wait (to a replica, or to this
# service once restarted), and handlers are idempotent. A handler stuck on a server that never
# answers held the process's shutdown forever.
STOP_GRACE_S = 15.0
PULL_EXPIRES_S = 5.0  # how long one pull request waits for events before the server ends it
STATUS_HEADER = "Status"  # JetStream's status replies (no events, expired...) carry it
PERMISSION_ERROR = "permissions violation"  # how the server words a refused publish/subscribe


async def connect(settings: Settings, name: str, *, user: str, attempts: int | None = None,
                  closed_cb: Callable[[], Awaitable[None]] | None = None) -> NATS:
    """Connect as ``user`` (a service's own NATS user, or ``operator`` for tools: see
    ``shared.nats_users``), with backoff. ``attempts=None`` keeps trying (a service waits for
    NATS to come up, reporting not-ready meanwhile, rather than crashing in a loop).

    A lost connection is re-made by the client on its own, for ever; ``closed_cb`` runs when it
    is closed instead, for good (by ``close()``/``drain()``, or by the server after a protocol
    error such as a subject longer than its control line: nats-py does not reconnect then)."""
    # tls://…?ca_file=…: nats-py takes TLS as a context, not from the URL (shared/tls.py)
    # A list of servers (HUBBUB_NATS_URL with commas): nats-py tries them in turn, and after a
    # loss reconnects to another one of them (or one it learnt from the cluster).
    servers, tls_context = tls.nats_tls_servers(nats_users.servers_for(settings, user))
    delay = 0.2
    attempt = 0
    while True:
        attempt += 1
        try:
            return await nats.connect(
                servers,
                name=name,
                inbox_prefix=nats_users.inbox_prefix(user),
                connect_timeout=2,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                error_cb=_log_nats_error,
                closed_cb=closed_cb,
                tls=tls_context,
            )
        except Exception as exc:  # nats raises several unrelated types for "not there yet"
            raise_if_cancelled(exc)
            if attempts is not None and attempt >= attempts:
                raise
            log.warning("nats not reachable (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def _log_nats_error(exc: Exception) -> None:
    if PERMISSION_ERROR in str(exc).lower():
        # The server refused a publish or subscribe: a request that would time out, events
        # that never arrive. Loud, because it means this user's rights (shared/permissions.py)
        # do not cover what the code does.
        log.error("nats refused: %s", exc)
        metrics.NATS_REFUSALS.inc()
        return
    log.warning("nats: %s", exc)


STREAM_MAX_AGE_S = 7 * 24 * 3600.0


def wanted_stream(settings: Settings) -> StreamConfig:
    """The event stream as this release makes it."""
    return StreamConfig(
        name=subjects.EVENTS_STREAM,
        subjects=[subjects.EVENTS_WILDCARD],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        duplicate_window=settings.dedupe_window_s,
        max_age=STREAM_MAX_AGE_S,
        num_replicas=settings.stream_replicas,
    )


def _limit(value: float | None) -> float:
    """A JetStream limit where 0, -1 and unset all mean "no limit"."""
    return float("inf") if value is None or value <= 0 else float(value)


def _larger(current: Any, wanted: Any) -> Any:
    """The looser of two limits (``current`` when they are as loose)."""
    return current if _limit(current) >= _limit(wanted) else wanted


# The stream's figures a start may raise but never lower. max_bytes and max_msgs are not set by
# Hubbub (no limit), so they are an operator's alone: kept whatever they are.
_RAISED_ONLY = ("num_replicas", "max_age", "duplicate_window")
_OPERATORS_ONLY = ("max_bytes", "max_msgs", "max_msgs_per_subject")


def stream_update(current: StreamConfig, wanted: StreamConfig
                  ) -> tuple[StreamConfig | None, list[str]]:
    """What an existing stream should become: the current configuration (whatever else an
    operator set: placement, compression...) with each of Hubbub's figures raised to what this
    release wants where it is lower, never lowered, and Hubbub's subjects added. Returns the
    update (None: nothing must rise) and, in words, the operator's figures it keeps."""
    changes: dict[str, Any] = {}
    kept: list[str] = []
    for name in _RAISED_ONLY:
        have, want = getattr(current, name), getattr(wanted, name)
        if name == "num_replicas":  # unset is one copy, not "no limit"
            have, want = have or 1, want or 1
            larger = max(have, want)
        else:
            larger = _larger(have, want)
        if larger != have:
            changes[name] = larger
        elif _limit(have) != _limit(want):
            kept.append(f"{name}={have} (this release asks {want})")
    for name in _OPERATORS_ONLY:
        value = getattr(current, name)
        if value not in (None, -1, 0):
            kept.append(f"{name}={value}")
    missing = [s for s in wanted.subjects or [] if s not in (current.subjects or [])]
    if missing:
        changes["subjects"] = [*(current.subjects or []), *missing]
    if not changes:
        return None, kept
    return dataclasses.replace(current, **changes), kept


async def _through_outages(what: str, attempt: Callable[[], Awaitable[Any]]) -> Any:
    """``attempt()``, tried again while JetStream is away for now (a stream's leader being
    elected after a node loss answers 503): a start waits, not-ready, rather than crashing."""
    delay = 0.5
    while True:
        try:
            return await attempt()
        except Exception as exc:
            if not is_server_away(exc):
                raise
            log.warning("%s: JetStream away (%s: %s); retrying in %.1fs", what,
                        type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def ensure_stream(js: JetStreamContext, settings: Settings) -> None:
    """The one event stream: made by the first service to start, then left as it is unless
    this release asks more of it (more replicas, a longer age or duplicate window): see
    ``stream_update``. Every start used to re-apply the whole configuration, which scaled an
    operator's R3 stream back to R1."""
    await _through_outages("event stream", lambda: _ensure_stream(js, settings))


async def _ensure_stream(js: JetStreamContext, settings: Settings) -> None:
    wanted = wanted_stream(settings)
    try:
        info = await js.stream_info(subjects.EVENTS_STREAM)
    except nats.js.errors.NotFoundError:
        try:
            await js.add_stream(wanted)
            log.info("stream %s made with %d replica(s)", wanted.name, wanted.num_replicas)
            return
        except nats.js.errors.BadRequestError:  # another replica made it meanwhile
            info = await js.stream_info(subjects.EVENTS_STREAM)
    update, kept = stream_update(info.config, wanted)
    if kept:
        log.info("stream %s keeps the operator's %s", wanted.name, ", ".join(kept))
    if update is not None:
        await js.update_stream(update)
        log.info("stream %s raised to replicas=%s max_age=%ss duplicate_window=%ss",
                 wanted.name, update.num_replicas, update.max_age, update.duplicate_window)


def publish_headers(event: events.Event) -> dict[str, str]:
    return {"Nats-Msg-Id": str(event.id)}


async def publish_event(js: JetStreamContext, event: events.Event, *, timeout: float = 5.0) -> None:
    """Publish with the event id as ``Nats-Msg-Id``: a retry after a timeout cannot double it."""
    await js.publish(
        subjects.event(event.type, event.facets()), events.encode(event),
        headers=publish_headers(event),
        timeout=timeout,
    )


_CONSUMER_RAISED_ONLY = ("max_deliver", "ack_wait", "max_ack_pending")


def consumer_update(current: ConsumerConfig, wanted: ConsumerConfig
                    ) -> tuple[ConsumerConfig | None, list[str]]:
    """What an existing durable should become: as it is (an operator's replicas, limits,
    backoff...), with this release's event subjects, and its delivery limits raised where
    this release wants more, never lowered. None: nothing to change."""
    changes: dict[str, Any] = {}
    kept: list[str] = []
    for name in _CONSUMER_RAISED_ONLY:
        have, want = getattr(current, name), getattr(wanted, name)
        larger = _larger(have, want)
        if larger != have:
            changes[name] = larger
        elif _limit(have) != _limit(want):
            kept.append(f"{name}={have} (this release asks {want})")
    if current.num_replicas:
        kept.append(f"num_replicas={current.num_replicas}")
    subjects_now = current.filter_subjects or ([current.filter_subject]
                                               if current.filter_subject else [])
    subjects_wanted = wanted.filter_subjects or ([wanted.filter_subject]
                                                 if wanted.filter_subject else [])
    if sorted(subjects_now) != sorted(subjects_wanted):
        changes["filter_subject"] = wanted.filter_subject
        changes["filter_subjects"] = wanted.filter_subjects
    if not changes:
        return None, kept
    return dataclasses.replace(current, **changes), kept


EventHandler = Callable[[events.AnyEvent], Awaitable[None]]


class EventConsumer:
    """A durable pull consumer with explicit acks, bounded redelivery and poison-message ``term``.

    Several processes may run the same durable: JetStream hands each message to one of them.
    Handlers must be idempotent (a message can arrive twice) and must not rely on order.
    """

    def __init__(
        self,
        js: JetStreamContext,
        durable: str,
        handler: EventHandler,
        *,
        filter_subjects: list[str] | None = None,
        max_deliver: int = 8,
        batch: int = 64,
        concurrency: int = 16,
        ack_wait_s: float = ACK_WAIT_S,
        backoff_s: Sequence[float] = CONSUMER_BACKOFF_S,
        linger_s: float = 0.0,
    ) -> None:
        self.js = js
        self.linger_s = linger_s
        self.ack_wait_s = ack_wait_s
        self.backoff_s = list(backoff_s) or CONSUMER_BACKOFF_S
        self.durable = durable
        self.handler = handler
        self.filter_subjects = filter_subjects or [subjects.EVENTS_WILDCARD]
        self.max_deliver = max_deliver
        self.batch = batch
        self._limit = asyncio.Semaphore(concurrency)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._delivered = 0  # events received, for the pull loop's bookkeeping
        self._progress = asyncio.Event()

    def wanted_config(self) -> ConsumerConfig:
        """The durable as this release makes it. ``num_replicas`` is left unset: the consumer
        inherits the stream's replica count (HUBBUB_STREAM_REPLICAS, or an operator's more),
        so its state survives the loss of a node just as the events do."""
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self.max_deliver,
            # How long an unacknowledged event waits before it comes again (a crashed or hung
            # process). Failures come back sooner: the handler's error NAKs with a backoff
            # delay. (A BackOff list in the config would set the ack wait to its first value,
            # 0.5 s, and events still being worked on came again beside themselves.)
            ack_wait=self.ack_wait_s,
            max_ack_pending=10_000,
            filter_subjects=self.filter_subjects if len(self.filter_subjects) > 1 else None,
            filter_subject=self.filter_subjects[0] if len(self.filter_subjects) == 1 else None,
        )

    async def start(self) -> None:
        """Make the durable, or bind to it as it is: a durable made before (by another replica,
        an older release, or tuned by an operator) is changed only where this release needs it
        (its event subjects) or asks more of it (``consumer_update``)."""
        await _through_outages(f"consumer {self.durable}", self._ensure_durable)
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self.durable}")

    async def _ensure_durable(self) -> None:
        wanted = self.wanted_config()
        try:
            info: ConsumerInfo = await self.js.consumer_info(subjects.EVENTS_STREAM,
                                                             self.durable)
        except nats.js.errors.NotFoundError:
            info = await self.js.add_consumer(subjects.EVENTS_STREAM, wanted)
        update, kept = consumer_update(info.config, wanted)
        if kept:
            log.info("consumer %s keeps the operator's %s", self.durable, ", ".join(kept))
        if update is not None:
            try:
                await self.js.add_consumer(subjects.EVENTS_STREAM, update)
            except nats.js.errors.BadRequestError as exc:
                # A change the server does not allow on an existing durable: keep it, bind.
                log.warning("consumer %s exists with other settings: %s", self.durable, exc)

    async def stop(self) -> None:
        self._stopping = True
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        """Pull events and start on each as it arrives.

        nats-py's ``fetch`` of a batch, once it has to wait, holds the first event that comes
        until the batch is full or the timeout passes (a lone event sat up to a second); and
        fetching one at a time costs a request per event. So this asks the server directly:
        one pull request for up to ``batch`` events, expiring after PULL_EXPIRES_S, whose
        events are handled the moment each is delivered; the next request goes out when this
        one is complete (filled, expired, or lost with a reconnect).

        ``linger_s``, for a consumer whose work need not be prompt (graph's status counter):
        events are let gather in the stream and taken together. A long pull for one event
        waits (nothing is asked while idle); once one comes, every ``linger_s`` one pull takes
        all that are waiting (``no_wait``), until a pull finds none; a pull that came full is
        followed at once (a backlog drains at full speed). Delivered one at a time,
        each event cost a wake-up, a transaction and an ack write of its own; taken together,
        they share them (the handler's group commit, one socket write of acks)."""
        nc = nats_compat.connection_of(self.js)
        inbox = nc.new_inbox()
        arrived: asyncio.Queue[Msg] = asyncio.Queue()
        request_over = asyncio.Event()
        pending: set[asyncio.Task[None]] = set()

        trouble: list[str] = []

        async def on_message(msg: Msg) -> None:
            headers = msg.headers or {}
            status = headers.get(STATUS_HEADER)
            if status:
                # 404 no events, 408 expired: this request is over. Others (409: the
                # consumer is gone or busy) too, and they call for a pause before the next.
                if status != "100":  # (100 is a heartbeat)
                    if status not in ("404", "408"):
                        trouble.append(f"{status} {headers.get('Description', '')}")
                    request_over.set()
                    self._progress.set()
                return
            arrived.put_nowait(msg)

        sub = await nc.subscribe(inbox, cb=on_message)
        dispatcher = asyncio.create_task(self._dispatch_arrivals(arrived, pending))
        next_subject = nats_compat.pull_subject(self.js, subjects.EVENTS_STREAM, self.durable)
        waiting = json.dumps({"batch": 1 if self.linger_s else self.batch,
                              "expires": int(PULL_EXPIRES_S * 1e9)}).encode()
        # (no ``expires``: with one, the server ignores no_wait and holds the request open)
        gathered = json.dumps({"batch": self.batch, "no_wait": True}).encode()
        lingering = False  # (linger_s) the last pull brought events: more may have gathered
        backlog = False  # (linger_s) the last pull came full: more are waiting now
        try:
            while not self._stopping:
                if lingering and not backlog:
                    await asyncio.sleep(self.linger_s)
                request = gathered if lingering else waiting
                wanted = self.batch if lingering or not self.linger_s else 1
                request_over.clear()
                delivered_before = self._delivered
                try:
                    await nc.publish(next_subject, request, reply=inbox)
                except Exception as exc:  # disconnected: try again shortly
                    log.warning("consumer %s pull failed: %s", self.durable, exc)
                    await asyncio.sleep(0.5)
                    continue
                # Complete when the server says so, or when the whole batch came; a request
                # lost with a reconnect is given up after its expiry and a margin.
                loop = asyncio.get_running_loop()
                deadline = loop.time() + PULL_EXPIRES_S + 1.0
                while not request_over.is_set() and (
                        self._delivered - delivered_before < wanted):
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    self._progress.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._progress.wait(), remaining)
                if trouble:
                    log.warning("consumer %s pull answered %s", self.durable, trouble[-1])
                    trouble.clear()
                    await asyncio.sleep(0.5)
                if self.linger_s:
                    lingering = self._delivered > delivered_before
                    backlog = lingering and self._delivered - delivered_before >= wanted > 1
                # Keep in step with the handlers: pull no more while all slots are busy.
                while arrived.qsize() >= self.batch:
                    await asyncio.sleep(0.01)
        finally:
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            if pending:
                await _finish_or_cancel(pending, STOP_GRACE_S, self.durable)

    async def _dispatch_arrivals(self, arrived: asyncio.Queue[Msg],
                                 pending: set[asyncio.Task[None]]) -> None:
        while True:
            msg = await arrived.get()
            self._delivered += 1
            self._progress.set()
            await self._dispatch([msg], pending)

    async def _dispatch(self, msgs: list[Msg], pending: set[asyncio.Task[None]]) -> None:
        for msg in msgs:
            await self._limit.acquire()
            task = asyncio.create_task(self._handle(msg))
            pending.add(task)
            task.add_done_callback(pending.discard)

    def on_start_handling(self, msg: Msg) -> None:
        """Called as a message's handling starts (it holds a slot); a subclass may watch the
        messages in flight (services/fanout/consumer.py keeps them in progress)."""

    def on_done_handling(self, msg: Msg) -> None:
        """Called once the message is acked, nak'd or terminated, or its handling failed; also
        when ``on_start_handling`` raised."""

    async def _handle(self, msg: Msg) -> None:
        try:
            self.on_start_handling(msg)
            try:
                event = events.decode(msg.data)
            except msgspec.DecodeError:
                log.error("consumer %s: undecodable event on %s; terminated", self.durable,
                          msg.subject)
                metrics.EVENTS_FAILED.labels(self.durable, "poison").inc()
                await msg.term()
                return
            try:
                # A span when tracing is on, a child of the publisher's (the outbox row's).
                with tracing.span(f"{self.durable} consume {event.type}", parent=msg.headers or {},
                                  kind="consumer"):
                    await self._handle_through_outages(msg, event)
            except Exception:
                delivered = msg.metadata.num_delivered
                if delivered >= self.max_deliver:
                    log.exception("consumer %s: %s %s failed %d times; giving up", self.durable,
                                  event.type, event.id, delivered)
                    metrics.EVENTS_FAILED.labels(self.durable, "gave_up").inc()
                    await msg.term()
                else:
                    log.exception("consumer %s: %s %s failed (attempt %d); will retry",
                                  self.durable, event.type, event.id, delivered)
                    metrics.EVENTS_FAILED.labels(self.durable, "retry").inc()
                    delay = self.backoff_s[min(delivered - 1, len(self.backoff_s) - 1)]
                    await msg.nak(delay=delay)
                return
            await msg.ack()
            metrics.EVENTS_PROCESSED.labels(self.durable, event.type).inc()
        finally:
            self._limit.release()
            self.on_done_handling(msg)

    async def _handle_through_outages(self, msg: Msg, event: events.AnyEvent) -> None:
        """Run the handler; while it fails because a server it needs is away (PostgreSQL,
        Valkey, a service it asks), keep the event here and try again, telling JetStream it is
        in progress, until the server is back or the consumer stops.

        A NAK would count as a delivery: an outage longer than the backoff schedule (about two
        minutes for max_deliver 8) would use up the event's deliveries and JetStream would give
        it up, a lost timeline entry or notification. Holding it costs a concurrency slot, and
        with every slot held the consumer pulls nothing more: the right back-pressure while the
        servers are away. Other failures (a bug, a bad event) go the usual way: NAK with backoff,
        then ``term`` after max_deliver."""
        wait = OUTAGE_RETRY_FIRST_S
        while True:
            try:
                with metrics.EVENT_SECONDS.labels(self.durable, event.type).time():
                    await self.handler(event)
                return
            except Exception as exc:
                if self._stopping or not is_outage(exc):
                    raise
                log.warning("consumer %s: %s %s waits for a server (%s: %s); retrying in %.0fs",
                            self.durable, event.type, event.id, type(exc).__name__, exc, wait)
                metrics.EVENTS_FAILED.labels(self.durable, "outage").inc()
            await self._wait_in_progress(msg, wait)
            wait = min(wait * 2, OUTAGE_RETRY_MAX_S)

    async def _wait_in_progress(self, msg: Msg, seconds: float) -> None:
        """Sleep ``seconds``, telling JetStream the event is still worked on well within each
        ack wait (its deliveries do not count up)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while (left := until - loop.time()) > 0 and not self._stopping:
            with contextlib.suppress(Exception):  # NATS away too: the redelivery will do
                await msg.in_progress()
            await asyncio.sleep(min(left, self.ack_wait_s / 3))

    async def idle(self) -> bool:
        """True when the consumer has nothing pending or unacknowledged (tests wait for this)."""
        # (nats-py leaves consumer_info's return unannotated: a ConsumerInfo)
        info: ConsumerInfo = await self.js.consumer_info(subjects.EVENTS_STREAM, self.durable)
        return info.num_pending == 0 and info.num_ack_pending == 0


async def wait_consumers_idle(
    js: JetStreamContext, durables: list[str], *, timeout: float = 10.0
) -> None:
    """Wait until every named consumer has processed everything in the stream."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        busy = []
        for durable in durables:
            try:
                info = await js.consumer_info(subjects.EVENTS_STREAM, durable)
            except nats.js.errors.NotFoundError:
                busy.append(durable)
                continue
            if info.num_pending or info.num_ack_pending:
                busy.append(durable)
        if not busy:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"consumers still busy: {busy}")
        await asyncio.sleep(0.05)


# --- the services API -------------------------------------------------------------------------

_encoder = msgspec.json.Encoder()


class Endpoint(msgspec.Struct, frozen=True):
    verb: Verb[Any, Any]
    handler: Callable[[Any], Awaitable[Any]]


class ServiceHost:
    """Serves one service's verbs on ``hubbub.svc.<name>.<verb>`` (queue group ``<name>``),
    decodes each request into its Struct, and replies with the handler's Struct or a typed
    error. Each request runs in its own task: a slow one does not hold up the others.

    ``verbs`` is the service's contract (``shared/contracts/<service>.py``): ``start`` refuses
    to run unless every declared verb is served, once.

    ``keys``: the service's recorded answers (shared/request_keys.py). With them, a write verb's
    request that carries an idempotency key is applied at most once across the replicas."""

    def __init__(self, nc: NATS, verbs: VerbSet, version: str = "0.1.0", *,
                 keys: request_keys.RequestKeys | None = None) -> None:
        self.nc = nc
        self.keys = keys
        self.verbs = verbs
        self.name = verbs.service
        self.version = version
        self._service: Service | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._endpoints: dict[str, Endpoint] = {}

    def serve(self, verb: Verb[Req, Rep], handler: Callable[[Req], Awaitable[Rep]]) -> None:
        if verb.service != self.name:
            raise ValueError(f"{verb!r} belongs to {verb.service}, not {self.name}")
        if verb not in self.verbs:
            raise ValueError(f"{verb!r} is not declared in {self.name}'s contract")
        if verb.name in self._endpoints:
            raise ValueError(f"{verb!r} served twice")
        self._endpoints[verb.name] = Endpoint(verb, handler)

    def check_complete(self) -> None:
        missing = self.verbs.names() - set(self._endpoints)
        if missing:
            raise RuntimeError(f"{self.name} does not serve {sorted(missing)}")

    async def start(self) -> None:
        self.check_complete()
        self._service = await nats.micro.add_service(
            self.nc, name=self.name, version=self.version, queue_group=self.name
        )
        group = self._service.add_group(name=f"hubbub.svc.{self.name}", queue_group=self.name)
        for endpoint in self._endpoints.values():
            await group.add_endpoint(
                name=endpoint.verb.name.replace(".", "_"),
                subject=endpoint.verb.name,
                handler=self._spawner(endpoint),
            )
        await self.nc.flush()

    def _spawner(self, endpoint: Endpoint) -> Callable[[Request], Awaitable[None]]:
        decoder = msgspec.json.Decoder(endpoint.verb.request)

        async def spawn(request: Request) -> None:
            task = asyncio.create_task(self._serve(endpoint, decoder, request))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return spawn

    async def _serve(self, endpoint: Endpoint, decoder: msgspec.json.Decoder[Any], request: Request
                     ) -> None:
        # Observability, only when switched on: a span, a child of the caller's
        # (shared/tracing.py), and an access-log line (shared/access_log.py).
        if not (tracing.enabled or access_log.enabled):
            await self._answer(endpoint, decoder, request)
            return
        started = asyncio.get_running_loop().time()
        with tracing.span(f"{self.name}.{endpoint.verb.name} handle",
                          parent=request.headers or {}, kind="server"):
            outcome = await self._answer(endpoint, decoder, request)
        if access_log.enabled:
            access_log.verb(service=self.name, verb=endpoint.verb.name, outcome=outcome,
                            latency_ms=(asyncio.get_running_loop().time() - started) * 1000,
                            request_id=(request.headers or {}).get(access_log.REQUEST_ID_HEADER))

    async def _answer(self, endpoint: Endpoint, decoder: msgspec.json.Decoder[Any],
                      request: Request) -> str:
        """Handle the request and reply; returns the outcome ("ok" or the error's code)."""
        label = f"{self.name}.{endpoint.verb.name}"
        own_key = None
        if endpoint.verb.dedupes_itself:  # the handler applies its key (Verb.dedupes_itself)
            own_key = (request.headers or {}).get(request_keys.KEY_HEADER) or None
            answered, claim = False, None
        else:
            answered, claim = await self._claim_for(endpoint.verb, request, label)
        if answered:
            return "ok"  # from the record of an earlier run (or a server away, logged there)
        token = request_keys.claiming(claim)
        own_token = request_keys.applying_own(own_key)
        try:
            with metrics.REQUEST_SECONDS.labels(label).time():
                try:
                    payload = decoder.decode(request.data)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    raise errors.BadRequest(f"bad request: {exc}") from exc
                reply = await endpoint.handler(payload)
            data = _encoder.encode(reply)
            if claim and self.keys:
                await self.keys.record(claim, reply=data)
            await request.respond(data)
        except request_keys.AlreadyApplied:
            # Another replica applied this very request (its answer was lost on the way back):
            # answer with its answer, not with a second write.
            await self._answer_applied(endpoint.verb, request, label)
            return "ok"
        except errors.HubbubError as exc:
            if claim and not claim.committed and self.keys and await self._applied_by_another(
                    claim, label):
                # A run of this request still in flight when the caller gave up on it committed
                # meanwhile, and this one saw its effects (an invitation used): its answer is
                # the answer, not this refusal.
                await self._answer_applied(endpoint.verb, request, label)
                return "ok"
            if claim and claim.committed and self.keys:
                # It wrote and then refused: a repeat must get the same refusal.
                details = _encoder.encode(exc.details) if exc.details else None
                await self.keys.record(claim, error=(exc.code, exc.message, details))
            await _respond_error(request, exc.code, exc.message, exc.details)
            return exc.code
        except Exception as exc:
            if is_server_away(exc):
                # PostgreSQL, Valkey or NATS is away for now: "try again", not "this is
                # broken" (the gateway answers 503 with Retry-After).
                log.warning("%s: a server is away: %r", label, exc)
                await _respond_error(request, errors.Unavailable.code,
                                     f"unavailable: {type(exc).__name__}")
                return errors.Unavailable.code
            log.exception("%s failed", label)
            await _respond_error(request, "error", f"internal error: {type(exc).__name__}")
            return "error"
        finally:
            request_keys.release_own(own_token)
            request_keys.release(token)
        return "ok"

    async def _claim_for(self, verb: Verb[Any, Any], request: Request, label: str
                         ) -> tuple[bool, request_keys.Claim | None]:
        """(answered, claim): whether the request was answered already, from its recorded
        answer; else the claim this run writes under, None without a key (or for a verb that
        needs none)."""
        key = (request.headers or {}).get(request_keys.KEY_HEADER)
        if not key or verb.kind != WRITE or self.keys is None:
            return False, None
        if (request.headers or {}).get(request_keys.FIRST_RUN_HEADER):
            return False, request_keys.Claim(key, verb.name)  # nothing recorded to look for
        try:
            _taken, answer = await self.keys.answer(key, verb.name)
        except Exception as exc:
            if not is_server_away(exc):
                raise
            log.warning("%s: a server is away: %r", label, exc)
            await _respond_error(request, errors.Unavailable.code,
                                 f"unavailable: {type(exc).__name__}")
            return True, None
        if answer is not None:
            metrics.REQUESTS_DEDUPLICATED.labels(self.name, verb.name).inc()
            log.info("%s: key %s answered from its record", label, key)
            await _respond_recorded(request, answer)
            return True, None
        return False, request_keys.Claim(key, verb.name)

    async def _applied_by_another(self, claim: request_keys.Claim, label: str) -> bool:
        assert self.keys is not None
        try:
            taken, _answer = await self.keys.answer(claim.key, claim.verb)
        except Exception as exc:
            if not is_server_away(exc):
                raise
            log.warning("%s: a server is away: %r", label, exc)
            return False
        return taken

    async def _answer_applied(self, verb: Verb[Any, Any], request: Request, label: str) -> None:
        key = (request.headers or {}).get(request_keys.KEY_HEADER, "")
        metrics.REQUESTS_DEDUPLICATED.labels(self.name, verb.name).inc()
        assert self.keys is not None  # (a claim exists only with keys)
        answer = await self.keys.wait_answer(key, verb.name)
        if answer is None:
            # The run that applied it died before recording its answer.
            log.warning("%s: key %s was applied, its answer lost", label, key)
            await _respond_error(request, errors.Conflict.code,
                                 "This request was applied already; its answer was lost")
            return
        log.info("%s: key %s applied by another run; answered from its record", label, key)
        await _respond_recorded(request, answer)

    async def stop(self) -> None:
        if self._service:
            await self._service.stop()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)


async def _finish_or_cancel(tasks: set[asyncio.Task[None]], seconds: float, label: str
                            ) -> None:
    """Let ``tasks`` finish within ``seconds``; cancel those still running, and wait for them
    to end (a cancelled handler's event stays unacknowledged: it comes again)."""
    _, late = await asyncio.wait(set(tasks), timeout=seconds)
    if late:
        log.warning("consumer %s: %d event(s) still handled after %.0f s of stopping; "
                    "cancelled, they come again", label, len(late), seconds)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


async def _respond_error(request: Request, code: str, message: str,
                         details: errors.Details | None = None) -> None:
    # The code and message travel in headers; the per-field details, when any, as the body.
    data = _encoder.encode(details) if details else b""
    try:
        await request.respond_error(code, message, data)
    except Exception:  # the requester is gone; nothing to tell
        pass


async def _respond_recorded(request: Request, answer: request_keys.Answer) -> None:
    if answer.error_code is not None:
        details = _details(answer.error_details or b"")
        await _respond_error(request, answer.error_code, answer.error_message or "",
                             details)
        return
    await request.respond(answer.reply or b"")


_details_decoder = msgspec.json.Decoder(errors.Details)


def _details(data: bytes) -> errors.Details | None:
    """An error reply's per-field details; none when the body is empty or not details (an
    older service's reply): the code and message still say what went wrong."""
    if not data:
        return None
    try:
        return _details_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


# Sending a request again after no answer (no responders: the replica that was there is gone;
# a timeout: the one that took it died, or is stuck): another member of the queue group takes
# it. Reads and set-like verbs go again freely, writes only with an idempotency key
# (shared/request_keys.py). All attempts fit in the caller's ``timeout``, which stays below the
# gateway's own request timeout; each waits at least ATTEMPT_MIN_S, so a slow answer is not cut
# short for a retry that would only add load.
ATTEMPTS = 3
ATTEMPT_MIN_S = 2.5
RETRY_BACKOFF_S = (0.05, 0.25)  # before the second attempt, the third


async def call(nc: NATS, verb: Verb[Req, Rep], payload: Req, *, timeout: float = 5.0) -> Rep:
    """Ask the service that owns ``verb``; its typed error reply is raised here as the same
    ``HubbubError``. No answer (no responders, a timeout) is asked again on another replica when
    the verb allows it (see ATTEMPTS); then ``Unavailable`` (503 at the gateway)."""
    data = _encoder.encode(payload)
    key = request_keys.next_key() if verb.kind == WRITE else None
    headers: dict[str, str] = {request_keys.KEY_HEADER: key.key} if key else {}
    # Observability (shared/access_log.py, shared/tracing.py): the request id and trace context
    # ride in headers only when those are switched on.
    if rid := access_log.request_id.get():
        headers[access_log.REQUEST_ID_HEADER] = rid
    sent_headers = tracing.headers(headers or None)
    # The first attempt of a key made for this request says so: the service skips looking for
    # an earlier run's answer. A retry does not (the first may have been applied).
    first_headers = ({**(sent_headers or {}), request_keys.FIRST_RUN_HEADER: "1"}
                     if key and key.fresh else sent_headers)
    attempts = ATTEMPTS if (verb.retryable_without_key or key) else 1
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline - loop.time()
        last = attempt >= attempts or remaining <= ATTEMPT_MIN_S
        wait = remaining if last else max(ATTEMPT_MIN_S, timeout / attempts)
        try:
            msg = await nc.request(verb.subject, data, timeout=wait,
                                   headers=first_headers if attempt == 1 else sent_headers)
        except nats.errors.MaxPayloadError as exc:
            raise errors.TooLarge("Request is too large") from exc
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError) as exc:
            missing = isinstance(exc, nats.errors.NoRespondersError)
            if last:
                if attempt > 1:
                    metrics.REQUEST_RETRIES.labels(verb.service, verb.name, "gave_up").inc()
                    log.warning("%s.%s: no answer after %d attempts", verb.service, verb.name,
                                attempt)
                raise errors.Unavailable(
                    f"{verb.service} is not running" if missing
                    else f"{verb.service} did not answer in time") from exc
            metrics.REQUEST_RETRIES.labels(verb.service, verb.name, "retried").inc()
            log.warning("%s.%s: %s (attempt %d of %d); asking another replica", verb.service,
                        verb.name, "no responders" if missing else "no answer in time", attempt,
                        attempts)
            await asyncio.sleep(min(RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S)) - 1],
                                    max(0.0, deadline - loop.time())))
            continue
        if attempt > 1:
            metrics.REQUEST_RETRIES.labels(verb.service, verb.name, "recovered").inc()
        break
    reply_headers = msg.headers or {}
    code = reply_headers.get(ERROR_CODE_HEADER)
    if code is not None:
        raise errors.from_code(code, reply_headers.get(ERROR_HEADER, code), _details(msg.data))
    return verb.decode_reply(msg.data)
