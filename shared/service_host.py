"""The NATS services API, served: a service's verbs on ``hubbub.svc.<service>.<verb>`` (queue
group ``<service>``: N replicas share the load), each request decoded into its Struct and
answered with the handler's Struct or a typed error (``shared.errors``, in headers that
``bus.call`` raises again on the caller's side). Calling a verb is shared/bus.py's ``call``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import nats
import nats.micro
from nats.aio.client import Client as NATS
from nats.micro.request import Request
from nats.micro.service import Service

from shared import access_log, errors, metrics, request_keys, tracing
from shared.bus import error_details
from shared.contracts.verb import WRITE, Rep, Req, Verb, VerbSet
from shared.readiness import is_server_away

log = logging.getLogger(__name__)

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
        details = error_details(answer.error_details or b"")
        await _respond_error(request, answer.error_code, answer.error_message or "",
                             details)
        return
    await request.respond(answer.reply or b"")
