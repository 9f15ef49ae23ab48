"""The access log: one JSON line per HTTP request at the gateway, and per verb a service
handles, when the operator switches it on for that process (``HUBBUB_ACCESS_LOG=1``).

What a line holds is chosen so that it can go to any log store: the route's *template*
(``/api/v1/statuses/{status_id:str}``), never the raw path or the query string (a hook's secret
lives in its path, an OAuth code or a streaming token in the query), never a header's value nor
a body. Who called is the account id and the client app's id and name, taken from the gateway's
token cache: no extra lookup.

The request id follows the request: the gateway takes the one a proxy in front sent
(``X-Request-Id``, when it looks like one) or makes one, and ``shared.bus.call`` passes it on in a
NATS header, so a service's verb line carries the same id as the gateway's request line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar

from shared.settings import Settings

LOGGER = logging.getLogger("hubbub.access")
REQUEST_ID_HEADER = "Hubbub-Request-Id"  # on NATS requests (bus.call)

# The switch, per process; tests turn it on with monkeypatch.
enabled = False
# The request id of the request being served (set by the gateway, read by bus.call).
request_id: ContextVar[str | None] = ContextVar("hubbub_request_id", default=None)

_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # what we accept from a proxy's X-Request-Id


class _Raw(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def configure(settings: Settings, service: str) -> None:
    """Switch the access log on or off for this process. Its lines go to stderr as they are
    (already JSON), whatever the format of the other log lines."""
    global enabled, _service
    enabled = settings.access_log
    _service = service
    LOGGER.propagate = False
    LOGGER.setLevel(logging.INFO)
    if enabled and not LOGGER.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_Raw())
        LOGGER.addHandler(handler)


_service = ""


def new_request_id(given: str | None = None) -> str:
    if given and _GIVEN_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex[:16]


def _ts() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def http(*, route: str, method: str, status: int, latency_ms: float, request_id: str,
         account_id: int | None, app_id: int | None, app_name: str | None) -> None:
    LOGGER.info(json.dumps({
        "ts": _ts(), "kind": "http", "service": _service or "gateway", "route": route,
        "method": method, "status": status, "latency_ms": round(latency_ms, 2),
        "request_id": request_id, "account_id": account_id, "app_id": app_id,
        "app_name": app_name,
    }))


def verb(*, service: str, verb: str, outcome: str, latency_ms: float,
         request_id: str | None) -> None:
    LOGGER.info(json.dumps({
        "ts": _ts(), "kind": "verb", "service": service, "verb": verb, "outcome": outcome,
        "latency_ms": round(latency_ms, 2), "request_id": request_id,
    }))
