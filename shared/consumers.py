"""JetStream's durable consumers: each service's events, pulled and handled side by side.

An event is acknowledged once its handler is done; a failure comes again with a backoff
(``max_deliver`` bounds it, then ``term``); an outage holds the event in progress until the
server is back (EventConsumer._handle_through_outages); a stop waits STOP_GRACE_S for the
events in hand, then cancels them and NAKs them (they come again at once). Handlers are
idempotent: any event may come twice. The stream itself, publishing and requests are
shared/bus.py's; serving requests is shared/service_host.py's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence

import msgspec
import nats
import nats.js.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy

from shared import errors, events, metrics, subjects, tracing
from shared.bus import consumer_update, through_outages
from shared.compat import nats as nats_compat
from shared.readiness import is_server_away

log = logging.getLogger(__name__)

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
# How long a stopping consumer waits for the events in hand to finish. Then they are cancelled
# and NAK'd: JetStream delivers them again at once (to a replica, or to this service once
# restarted), and handlers are idempotent. A handler stuck on a server that never answers held
# the process's shutdown forever. A service stops its consumers one after the other (notify
# has five): 5 s each keeps the worst case within an orchestrator's usual 30 s grace period.
STOP_GRACE_S = 5.0
CANCELLED_NAK_S = 1.0  # how long a cancelled event's NAK may take (NATS away: the ack wait)
PULL_EXPIRES_S = 5.0  # how long one pull request waits for events before the server ends it
STATUS_HEADER = "Status"  # JetStream's status replies (no events, expired...) carry it


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
        self._stopped: asyncio.Future[None] | None = None
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
        await through_outages(f"consumer {self.durable}", self._ensure_durable)
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
        """Take no more events; give those in hand STOP_GRACE_S, then cancel them. Called again
        (or its caller cancelled), it waits for the same stop: a second cancel of the pull loop
        would cut short its wait for the handlers."""
        self._stopping = True
        if self._task is None:
            return
        if self._stopped is None:
            self._task.cancel()
            self._stopped = asyncio.ensure_future(self._ended(self._task))
        await asyncio.shield(self._stopped)

    @staticmethod
    async def _ended(task: asyncio.Task[None]) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await task

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
            except asyncio.CancelledError:
                if self._stopping:  # cut short by the stop: for the next consumer, at once
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(msg.nak(), CANCELLED_NAK_S)
                raise
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


async def _finish_or_cancel(tasks: set[asyncio.Task[None]], seconds: float, label: str
                            ) -> None:
    """Let ``tasks`` finish within ``seconds``; cancel those still running (their events are
    NAK'd: they come again), and give them as long again to end."""
    _, late = await asyncio.wait(set(tasks), timeout=seconds)
    if late:
        log.warning("consumer %s: %d event(s) still handled after %.0f s of stopping; "
                    "cancelled, they come again", label, len(late), seconds)
        for task in late:
            task.cancel()
        _, stuck = await asyncio.wait(late, timeout=seconds)
        if stuck:  # a handler that swallowed its cancellation: not waited for any longer
            log.error("consumer %s: %d handler(s) ignored their cancellation; left behind",
                      label, len(stuck))
