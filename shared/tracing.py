"""OpenTelemetry traces, optional and off by default (``HUBBUB_OTEL_ENDPOINT`` empty).

One post is followed from the gateway's HTTP request through NATS to fanout and the follower's
socket: the W3C ``traceparent`` travels in NATS headers (``bus.call``'s requests, the outbox
relay's JetStream publishes, fanout's live messages) and in the outbox row between the write
and the relay.

Off, every helper here returns at its first line (a module flag; the OpenTelemetry packages
are not even imported), so the hot paths pay a branch. On, spans go to an OTLP/HTTP collector
through a batching processor. Tests hand ``use_provider`` an SDK provider of their own (with an
in-memory exporter) instead.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

log = logging.getLogger(__name__)

TRACEPARENT = "traceparent"

enabled = False
_tracer: Tracer | None = None


def configure(endpoint: str, service: str) -> None:
    """Export this process's spans to ``endpoint`` (an OTLP/HTTP collector's base URL)."""
    if not endpoint:
        return
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider as SdkProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as error:
        raise RuntimeError("HUBBUB_OTEL_ENDPOINT needs OpenTelemetry: "
                           "pip install 'hubbub[otel]'") from error
    provider = SdkProvider(resource=Resource.create({"service.name": f"hubbub-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(
        OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
    use_provider(provider)
    log.info("traces exported to %s", endpoint)


def use_provider(provider: TracerProvider | None) -> None:
    """Trace with ``provider`` (None: off again). Not the global provider: tests set and unset
    theirs, which OpenTelemetry's set-once global would not allow."""
    global enabled, _tracer
    _tracer = provider.get_tracer("hubbub") if provider is not None else None
    enabled = provider is not None


def _parent(headers: Mapping[str, str] | None) -> Any:
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    if not headers or TRACEPARENT not in headers:
        return None
    return TraceContextTextMapPropagator().extract({TRACEPARENT: headers[TRACEPARENT]})


@contextlib.contextmanager
def span(name: str, *, parent: Mapping[str, str] | None = None, kind: str = "internal",
         attributes: Mapping[str, str | int] | None = None) -> Iterator[Span | None]:
    """A span around the block, a child of the current one, or of the ``traceparent`` in
    ``parent`` (a message's headers) when given. Yields None when tracing is off."""
    if not enabled or _tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind

    with _tracer.start_as_current_span(
            name, context=_parent(parent) if parent is not None else None,
            kind=getattr(SpanKind, kind.upper()), attributes=dict(attributes or {})) as current:
        yield current


def traceparent() -> str | None:
    """The current span's W3C ``traceparent``, for a message or an outbox row; None when off or
    outside any span."""
    if not enabled:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get(TRACEPARENT)


def headers(into: dict[str, str] | None = None) -> dict[str, str] | None:
    """``into`` with the current ``traceparent`` added (a new dict when None), or ``into``
    unchanged when there is none: the NATS publish's ``headers`` argument."""
    current = traceparent()
    if current is None:
        return into
    out = dict(into or {})
    out[TRACEPARENT] = current
    return out
