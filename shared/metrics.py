"""Prometheus metrics shared by the services, and the small health/metrics HTTP server that the
non-gateway services expose on their own port (``/healthz``, ``/readyz``, ``/metrics``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger(__name__)

EVENTS_PROCESSED = Counter(
    "hubbub_events_processed_total", "Events handled and acknowledged", ["consumer", "type"]
)
EVENTS_FAILED = Counter(
    "hubbub_events_failed_total", "Event handling failures", ["consumer", "outcome"]
)
EVENT_SECONDS = Histogram(
    "hubbub_event_handle_seconds", "Time to handle one event", ["consumer", "type"]
)
EVENTS_PUBLISHED = Counter(
    "hubbub_outbox_published_total", "Outbox rows relayed to JetStream", ["service"]
)
REQUEST_RETRIES = Counter(
    "hubbub_request_retries_total",
    "Service requests sent again after no answer (shared/bus.py call): outcome is retried (one "
    "more attempt), recovered (a later attempt answered) or gave_up (every attempt failed)",
    ["service", "verb", "outcome"],
)
REQUESTS_DEDUPLICATED = Counter(
    "hubbub_requests_deduplicated_total",
    "Write requests answered from their idempotency key instead of being applied again",
    ["service", "verb"],
)
NATS_REFUSALS = Counter(
    "hubbub_nats_refusals_total", "Publishes and subscriptions the NATS server refused"
)
REQUEST_SECONDS = Histogram(
    "hubbub_service_request_seconds", "Time to serve one NATS request", ["endpoint"]
)
TIMELINE_WRITES = Counter(
    "hubbub_timeline_writes_total", "Entries written into Redis timelines", ["timeline"]
)
HTTP_REQUESTS = Counter(
    "hubbub_http_requests_total", "HTTP requests served by the gateway", ["method", "status"]
)
STREAMING_CONNECTIONS = Histogram(
    "hubbub_streaming_connection_seconds", "How long streaming connections stay open"
)
FANOUT_SECONDS = Histogram(
    "hubbub_fanout_seconds", "Time for fanout to apply one event to every timeline", ["type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
FANOUT_SKIPPED = Counter(
    "hubbub_fanout_skipped_total", "Timeline writes fanout left out, by reason", ["reason"]
)
LIVE_PUBLISHED = Counter(
    "hubbub_live_published_total", "Live deliveries published to users", ["event"]
)
CONSUMER_PENDING = Gauge(
    "hubbub_consumer_pending_messages", "Events in the stream not yet delivered to the consumer",
    ["consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "hubbub_consumer_ack_pending_messages", "Events delivered to the consumer, not yet acked",
    ["consumer"],
)
TIMELINE_REBUILDS = Counter(
    "hubbub_timeline_rebuilds_total", "Home timelines rebuilt from Postgres", ["trigger"]
)
# Seeing it run (issue 19): what the Grafana dashboard and the alert rules in deploy/ read.
# tests/unit/test_observability_deploy.py holds their metric names to the ones defined here.
HTTP_REQUEST_SECONDS = Histogram(
    "hubbub_http_request_seconds",
    "Gateway HTTP requests by route template (never the raw path: ids and secrets stay out)",
    ["route", "method", "status_class"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DELIVERY_SECONDS = Histogram(
    # From the post's id (minted by posts when it accepted the post: shared/ids.py) to its
    # frames handed to this gateway's sockets. Across machines it includes their clock skew.
    "hubbub_delivery_seconds", "Post accepted at posts to its frame written to readers' sockets",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


class HealthServer:
    """Minimal HTTP/1.1 server for probes and scraping; no framework needed for three paths."""

    def __init__(self, host: str, port: int, ready: Callable[[], dict[str, bool]]) -> None:
        self.host = host
        self.port = port
        self.ready = ready
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass  # headers: nothing here needs them
            parts = request_line.decode("latin-1").split()
            path = parts[1].split("?")[0] if len(parts) > 1 else "/"
            status, ctype, body = self._route(path)
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode() + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    def _route(self, path: str) -> tuple[str, str, bytes]:
        import json

        if path == "/healthz":
            return "200 OK", "text/plain", b"ok\n"
        if path == "/readyz":
            checks = self.ready()
            body = json.dumps({"ready": all(checks.values()), "checks": checks}).encode()
            status = "200 OK" if all(checks.values()) else "503 Service Unavailable"
            return status, "application/json", body
        if path == "/metrics":
            body, ctype = render()
            return "200 OK", ctype, body
        return "404 Not Found", "text/plain", b"not found\n"
