"""Each HTTP request seen from outside: its latency by route (Prometheus), an access log line
when switched on (shared/access_log.py) and a server span when tracing is on
(shared/tracing.py). It wraps both lanes (express.py), so the home timeline served in front of
the framework is counted like the rest.

The route is the template Litestar matched (``scope["path_template"]``, set by its router in the
scope the app shares with us), never the raw path: ids would make a series per status, and a
hook's secret is in its path. A request no route matched is "unmatched"."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

from litestar.types import Message, Receive, Scope, Send

from services.gateway import tokens
from services.gateway.context import Gateway, bearer_of
from shared import access_log, metrics, tracing

REQUEST_ID = "hubbub.request_id"  # scope key: the request's id (app.py's error answers use it)
UNMATCHED = "unmatched"
_STATUS_CLASSES = {n: f"{n}xx" for n in range(1, 6)}

App = Callable[[Scope, Receive, Send], Awaitable[None]]


def request_id_of(scope: Any) -> str | None:
    found = scope.get(REQUEST_ID)
    return found if isinstance(found, str) else None


async def serve(gw: Gateway, app: App, scope: Scope, receive: Receive, send: Send) -> None:
    started = time.perf_counter()
    status = 500  # what the server answers when the app raises before it started a response

    async def watched(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    raw = cast("dict[str, Any]", scope)  # keys of Hubbub's own, as RAW_SEND (express.py)
    reset = None
    if access_log.enabled:
        rid = access_log.new_request_id(_header(scope, b"x-request-id"))
        raw[REQUEST_ID] = rid
        reset = access_log.request_id.set(rid)  # bus.call passes it on to the services
    try:
        if not tracing.enabled:
            await app(scope, receive, watched)
        else:
            # A caller's (or a proxy's) W3C traceparent makes this span a child of theirs.
            given = _header(scope, b"traceparent")
            with tracing.span(f"HTTP {scope.get('method', '')}", kind="server",
                              parent={tracing.TRACEPARENT: given} if given else None) as span:
                await app(scope, receive, watched)
                if span is not None:
                    span.update_name(f"HTTP {scope.get('method', '')} {_route(scope)}")
                    span.set_attribute("http.response.status_code", status)
    finally:
        seconds = time.perf_counter() - started
        route = _route(scope)
        method = str(scope.get("method", ""))
        metrics.HTTP_REQUEST_SECONDS.labels(
            route, method, _STATUS_CLASSES.get(status // 100, "other")).observe(seconds)
        if reset is not None:
            access_log.request_id.reset(reset)
            caller = _cached_caller(gw, scope)
            access_log.http(route=route, method=method, status=status,
                            latency_ms=seconds * 1000, request_id=raw[REQUEST_ID],
                            account_id=caller.account_id if caller else None,
                            app_id=caller.app_id if caller else None,
                            app_name=caller.app_name if caller else None)


def _route(scope: Scope) -> str:
    template = scope.get("path_template")
    return template if isinstance(template, str) and template else UNMATCHED


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _cached_caller(gw: Gateway, scope: Scope) -> tokens.Caller | None:
    """Who called, from the token cache the request itself filled: no lookup of its own (a
    token the request never checked, or not a member's, leaves the line without a caller)."""
    authorization = _header(scope, b"authorization")
    token = bearer_of(authorization) if authorization else None
    if not token:
        return None
    return gw.tokens.get(tokens.digest(token))
