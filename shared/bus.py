"""NATS: connections, the event stream, publishing events, typed requests. Durable consumers are
shared/consumers.py's (the rule for updating a durable's configuration stays here, beside the
stream's: ``consumer_update``), serving requests shared/service_host.py's.

Three ways services talk, each with its guarantee:
- events: JetStream (``hubbub.evt.>``), at-least-once, published by the outbox relay with
  ``Nats-Msg-Id`` so duplicates inside the window are dropped; consumers are idempotent;
- requests: the NATS services API (``hubbub.svc.<service>.<verb>``), queue groups so that N
  instances share the load; errors come back as typed replies (``shared.errors``);
- live delivery: core NATS (``hubbub.live.>``), at-most-once; clients catch up by REST.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import (
    ConsumerConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)

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
from shared.contracts.verb import WRITE, Rep, Req, Verb
from shared.readiness import is_server_away
from shared.settings import Settings

log = logging.getLogger(__name__)

ERROR_CODE_HEADER = "Nats-Service-Error-Code"
ERROR_HEADER = "Nats-Service-Error"

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


async def through_outages(what: str, attempt: Callable[[], Awaitable[Any]]) -> Any:
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
    await through_outages("event stream", lambda: _ensure_stream(js, settings))


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


_details_decoder = msgspec.json.Decoder(errors.Details)


def error_details(data: bytes) -> errors.Details | None:
    """An error reply's per-field details; none when the body is empty or not details (an
    older service's reply): the code and message still say what went wrong."""
    if not data:
        return None
    try:
        return _details_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


_encoder = msgspec.json.Encoder()

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
        raise errors.from_code(code, reply_headers.get(ERROR_HEADER, code), error_details(msg.data))
    return verb.decode_reply(msg.data)
