"""The express lane: the hottest reads served in front of the framework.

A home timeline read is the request clients make most, and by profile the framework's own
layers (routing, middleware, request and response objects) cost as much as the read itself.
This ASGI app answers ``GET /api/v1/timelines/home`` directly, with the same function the
Litestar route calls (application/home.read_home), and hands every other request to Litestar.
Anything but a plain success (no token, a bad parameter, a service away, a bug) is handed to
Litestar too, which answers it as usual: one place renders errors and logs failures. That can repeat
the failed work, which is safe here: a read, whose only writes (the reader's last-read time,
a rebuild request) are idempotent.

tests/gateway/test_express.py holds the answers equal to the framework's, headers included.
"""

from __future__ import annotations

from typing import cast
from urllib.parse import parse_qsl

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import (
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Receive,
    Scope,
    Send,
)

from services.gateway import limits, observe, rate_limits, scopes, tokens
from services.gateway.application.home import read_home
from services.gateway.context import Gateway, bearer_of
from services.gateway.streaming.direct import RAW_SEND
from shared.bounded_cache import BoundedCache

HOME_PATH = "/api/v1/timelines/home"
_JSON = (b"content-type", b"application/json")
# What Litestar's CORS middleware adds to a simple request that names an origin, with the
# gateway's CORSConfig (any origin, Link exposed).
_CORS = [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", b"Link"),
         (b"access-control-allow-headers", b"*"), (b"access-control-allow-methods", b"*")]


def _bearer(scope: HTTPScope) -> tuple[str | None, bool]:
    """The bearer token (None when missing) and whether the request names an Origin."""
    token, origin = None, False
    for name, value in scope["headers"]:
        if name == b"authorization":
            token = bearer_of(value.decode("latin-1"))
        elif name == b"origin":
            origin = True
    return token, origin


def _query(raw: bytes) -> tuple[tuple[str, str], ...]:
    """The query string's pairs. Most reads send one of a few (``limit=20``, the cursors of the
    pages just read): kept, bounded, as queries come from clients."""
    found = _queries.get(raw)
    if found is None:
        found = _queries.put(raw, tuple(parse_qsl(raw.decode("latin-1"),
                                                  keep_blank_values=True)))
    return found


_queries: BoundedCache[bytes, tuple[tuple[str, str], ...]] = BoundedCache(10_000)


class ExpressLane:
    def __init__(self, app: Litestar, gateway: Gateway) -> None:
        self.app = app
        self.state = app.state  # as the Litestar app's: app.state.gateway
        self.gw = gateway
        self.served = 0  # requests answered here, not by the framework
        # The route's own declaration: the same scope as the framework's guard checks.
        self.home_need = scopes.route_need(app, HOME_PATH, "GET")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            # Latency by route, the access log, the request's span: observe.py.
            return await observe.serve(self.gw, self._lanes, scope, receive, send)
        return await self._lanes(scope, receive, send)

    async def _lanes(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.WEBSOCKET:
            # A key of Hubbub's own (streaming/direct.py): ASGI scopes take extensions, Litestar's
            # TypedDict has no room for one.
            scope[RAW_SEND] = send  # type: ignore[literal-required]
            return await self.app(scope, receive, send)
        refused = limits.refusal(scope) if scope["type"] == ScopeType.HTTP else None
        if refused is not None:
            return await limits.refuse(send, *refused)  # the front door: before either lane
        if (scope["type"] != ScopeType.HTTP or scope["path"] != HOME_PATH
                or scope["method"] != "GET" or not self.gw.ready):
            return await self.app(scope, receive, send)
        scope["path_template"] = HOME_PATH  # the route, as Litestar's router would name it
        token, origin = _bearer(scope)
        shown: list[tuple[bytes, bytes]] = []
        if token is not None and self.gw.rate_limits.on:
            # The same per-token count as the framework's (rate_limits.ApiLimits), which
            # counts no second time if the request goes on to it.
            try:
                verdict = await self.gw.rate_limits.token_hit(tokens.digest(token))
            except Exception:  # noqa: BLE001 (Valkey away: the framework answers, and logs)
                return await self.app(scope, receive, send)
            raw_scope = cast("rate_limits.Scope", scope)  # a key of Hubbub's own, as RAW_SEND
            raw_scope[rate_limits.COUNTED] = verdict
            if not verdict.allowed:
                return await rate_limits.send_refusal(cast("rate_limits.Send", send), verdict,
                                                      _CORS if origin else ())
            shown = verdict.headers()
        try:
            caller = await self.gw.signed_in_with(token)
            if not self.home_need.permits(caller.scopes) or caller.standing != "member":
                raise PermissionError  # the framework answers the 403
            reply = await read_home(self.gw, caller, HOME_PATH,
                                              _query(scope["query_string"]))
        except Exception:  # noqa: BLE001 (any failure: the framework answers, and logs a 500)
            return await self.app(scope, receive, send)
        headers = [_JSON, (b"content-length", str(len(reply.body)).encode())]
        if reply.link is not None:
            headers.append((b"link", reply.link.encode()))
        headers.extend(shown)
        if origin:
            headers.extend(_CORS)
        start: HTTPResponseStartEvent = {"type": "http.response.start", "status": reply.status,
                                         "headers": headers}
        await send(start)
        # (Litestar's stub makes more_body required; ASGI makes it optional, False by default)
        body: HTTPResponseBodyEvent = {  # type: ignore[typeddict-item]
            "type": "http.response.body", "body": reply.body}
        await send(body)
        self.served += 1
