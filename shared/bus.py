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

from shared import access_log, errors, events, metrics, nats_users, subjects, tls, tracing
from shared.cancel import raise_if_cancelled
from shared.compat import nats as nats_compat
from shared.contracts.verb import Rep, Req, Verb, VerbSet
from shared.readiness import SERVER_AWAY_ERRORS
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
OUTAGE_ERRORS: tuple[type[Exception], ...] = (errors.Unavailable, *SERVER_AWAY_ERRORS)
ACK_WAIT_S = 30.0
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
    url, tls_context = tls.nats_tls(nats_users.url_for(settings, user))
    delay = 0.2
    attempt = 0
    while True:
        attempt += 1
        try:
            return await nats.connect(
                url,
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


async def ensure_stream(js: JetStreamContext, settings: Settings) -> None:
    """The one event stream; created or updated idempotently by every service at start."""
    config = StreamConfig(
        name=subjects.EVENTS_STREAM,
        subjects=[subjects.EVENTS_WILDCARD],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        duplicate_window=settings.dedupe_window_s,
        max_age=7 * 24 * 3600.0,
    )
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        await js.update_stream(config)


def publish_headers(event: events.Event) -> dict[str, str]:
    return {"Nats-Msg-Id": str(event.id)}


async def publish_event(js: JetStreamContext, event: events.Event, *, timeout: float = 5.0) -> None:
    """Publish with the event id as ``Nats-Msg-Id``: a retry after a timeout cannot double it."""
    await js.publish(
        subjects.event(event.type), events.encode(event), headers=publish_headers(event),
        timeout=timeout,
    )


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
    ) -> None:
        self.js = js
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

    async def start(self) -> None:
        config = ConsumerConfig(
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
        try:
            await self.js.add_consumer(subjects.EVENTS_STREAM, config)
        except nats.js.errors.BadRequestError as exc:
            # Exists with another configuration (an older release): keep it, bind to it.
            log.warning("consumer %s exists with other settings: %s", self.durable, exc)
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self.durable}")

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
        one is complete (filled, expired, or lost with a reconnect)."""
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
        request = json.dumps({"batch": self.batch,
                              "expires": int(PULL_EXPIRES_S * 1e9)}).encode()
        try:
            while not self._stopping:
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
                        self._delivered - delivered_before < self.batch):
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
                await asyncio.gather(*pending, return_exceptions=True)

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
            except OUTAGE_ERRORS as exc:
                if self._stopping:
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
    to run unless every declared verb is served, once."""

    def __init__(self, nc: NATS, verbs: VerbSet, version: str = "0.1.0") -> None:
        self.nc = nc
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
        try:
            with metrics.REQUEST_SECONDS.labels(label).time():
                try:
                    payload = decoder.decode(request.data)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    raise errors.BadRequest(f"bad request: {exc}") from exc
                reply = await endpoint.handler(payload)
            await request.respond(_encoder.encode(reply))
        except errors.HubbubError as exc:
            await _respond_error(request, exc.code, exc.message, exc.details)
            return exc.code
        except SERVER_AWAY_ERRORS as exc:
            # PostgreSQL, Valkey or NATS is away for now: "try again", not "this is broken".
            log.warning("%s: a server is away: %r", label, exc)
            await _respond_error(request, errors.Unavailable.code,
                                 f"unavailable: {type(exc).__name__}")
            return errors.Unavailable.code
        except Exception as exc:
            log.exception("%s failed", label)
            await _respond_error(request, "error", f"internal error: {type(exc).__name__}")
            return "error"
        return "ok"

    async def stop(self) -> None:
        if self._service:
            await self._service.stop()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)


async def _respond_error(request: Request, code: str, message: str,
                         details: errors.Details | None = None) -> None:
    # The code and message travel in headers; the per-field details, when any, as the body.
    data = _encoder.encode(details) if details else b""
    try:
        await request.respond_error(code, message, data)
    except Exception:  # the requester is gone; nothing to tell
        pass


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


async def call(nc: NATS, verb: Verb[Req, Rep], payload: Req, *, timeout: float = 5.0) -> Rep:
    """Ask the service that owns ``verb``; its typed error reply is raised here as the same
    ``HubbubError``."""
    # Observability (shared/access_log.py, shared/tracing.py): the request id and trace context
    # ride in headers only when those are switched on; off, no headers, as before.
    rid = access_log.request_id.get()
    headers = tracing.headers({access_log.REQUEST_ID_HEADER: rid} if rid else None)
    try:
        msg = await nc.request(verb.subject, _encoder.encode(payload), timeout=timeout,
                               headers=headers)
    except nats.errors.MaxPayloadError as exc:
        raise errors.TooLarge("Request is too large") from exc
    except nats.errors.NoRespondersError as exc:
        raise errors.Unavailable(f"{verb.service} is not running") from exc
    except nats.errors.TimeoutError as exc:
        raise errors.Unavailable(f"{verb.service} did not answer in time") from exc
    headers = msg.headers or {}
    code = headers.get(ERROR_CODE_HEADER)
    if code is not None:
        raise errors.from_code(code, headers.get(ERROR_HEADER, code), _details(msg.data))
    return verb.decode_reply(msg.data)
