"""Mastodon streaming: one WebSocket multiplexing streams subscribed by message, and the same
streams as server-sent events (``/api/v1/streaming/user`` ...) with ``:thump`` heartbeats.

Close codes a WebSocket client may see: 1009 for a message larger than
``HUBBUB_STREAM_MAX_MESSAGE_BYTES``, 1013 when it fell too far behind (its queue filled:
reconnect and catch up by REST with ``since_id``), 4001 for a missing or bad token (the socket
is accepted first so that the code reaches the client: refused at the handshake, it would see an
HTTP 403) and for a token revoked or an account deactivated while the socket is open (every
gateway hears it over NATS: services/gateway/offboarding.py; a server-sent events response just
ends), 4003 for a sign-up's token whose account is not a member yet (its address unconfirmed or
awaiting approval; server-sent events answer 403 with the same words as REST), 4029 when its
token, its account, its address or this gateway holds too many streaming connections. A bad
subscription (unknown stream, bad tag, too many) is an ``{"error": ...}``
message, and the socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

from litestar import Request, Response, WebSocket, get, websocket
from litestar.connection import ASGIConnection
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath
from litestar.response import Stream

from services.gateway import responses, scopes, tokens
from services.gateway.context import Gateway, bearer_token, gateway_of
from services.gateway.scopes import PUBLIC, STREAMED
from services.gateway.streaming import presence
from services.gateway.streaming.direct import RAW_SEND, DirectSend
from services.gateway.streaming.limits import TooManyConnections
from services.gateway.streaming.session import (
    STREAMS,
    Overflow,
    StreamRefused,
    StreamSession,
)
from shared import errors, metrics
from shared.records import AccountRecord

log = logging.getLogger(__name__)
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011
CLOSE_TOO_SLOW = 1013
CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_TOO_MANY = 4029
HEARTBEAT_S = 15.0


UNAUTHORIZED = "Missing or invalid access token"


async def _reader(gw: Gateway, token: str | None,
                  connection: ASGIConnection[Any, Any, Any, Any]
                  ) -> tuple[tokens.Caller, AccountRecord]:
    """The token's caller and account, or Unauthorized (no user's valid token, or its account
    is gone) or Forbidden (a sign-up not a member yet)."""
    if not token:
        raise errors.Unauthorized(UNAUTHORIZED)
    try:
        caller = await gw.caller(connection, token=token)
    except errors.Unauthorized as exc:
        raise errors.Unauthorized(UNAUTHORIZED) from exc
    if caller is None or caller.account_id is None:
        raise errors.Unauthorized(UNAUTHORIZED)
    refusal = scopes.NOT_A_MEMBER.get(caller.standing)
    if refusal is not None:
        raise errors.Forbidden(refusal)
    account = await gw.hydrator.account(caller.account_id)
    if account is None or account.barred:
        raise errors.Unauthorized(UNAUTHORIZED)
    return caller, account


@get("/api/v1/streaming/health", sync_to_thread=False, opt=PUBLIC)
def streaming_health() -> Response[Any]:
    return Response(content=b"OK", media_type="text/plain")


# --- WebSocket -------------------------------------------------------------------------------

def _ws_token(socket: WebSocket[Any, Any, Any]) -> tuple[str | None, str | None]:
    """(token, subprotocol to echo): Authorization header, query, or Sec-WebSocket-Protocol."""
    header = bearer_token(socket)
    if header:
        return header, None
    if socket.query_params.get("access_token"):
        return socket.query_params.get("access_token"), None
    protocol = socket.headers.get("sec-websocket-protocol")
    if protocol:
        first = protocol.split(",")[0].strip()
        return first, first
    return None, None


@websocket("/api/v1/streaming", opt=STREAMED)
async def streaming(socket: WebSocket[Any, Any, Any]) -> None:
    gw = gateway_of(socket)
    token, subprotocol = _ws_token(socket)
    try:
        caller, account = await _reader(gw, token, socket)
    except (errors.Unauthorized, errors.Forbidden) as refused:
        await socket.accept(subprotocols=subprotocol)
        code = CLOSE_FORBIDDEN if isinstance(refused, errors.Forbidden) else CLOSE_UNAUTHORIZED
        await socket.close(code=code, reason=refused.message[:120])
        return
    await socket.accept(subprotocols=subprotocol)
    assert token is not None  # _reader checked it
    try:
        with gw.stream_limits.hold(caller.token_id, account.id, _address(socket)), \
                metrics.STREAMING_CONNECTIONS.time():
            session = _session(gw, account, caller.scopes)
            async with presence.online(gw, account.id):
                await _serve_socket(gw, socket, session, tokens.digest(token))
    except TooManyConnections as exc:
        await socket.close(code=CLOSE_TOO_MANY, reason=exc.message[:120])


def _session(gw: Gateway, account: AccountRecord, scopes: frozenset[str]) -> StreamSession:
    """The token's scopes come along: each subscription is checked against them."""
    return StreamSession(gw, account, gw.settings.stream_queue_size,
                         max_watches=gw.settings.stream_max_subscriptions, scopes=scopes)


def _address(connection: WebSocket[Any, Any, Any] | Request[Any, Any, Any]) -> str | None:
    """The client's address (the server already took a trusted proxy's X-Forwarded-For)."""
    return connection.client.host if connection.client else None


async def _serve_socket(gw: Gateway, socket: WebSocket[Any, Any, Any],
                        session: StreamSession, token_digest: str) -> None:
    tasks: list[asyncio.Task[None]] = []
    offboarded = False

    def end() -> None:
        """Its token was revoked or its account deactivated (from a NATS callback)."""
        nonlocal offboarded
        offboarded = True
        session.end()
        for task in tasks:
            task.cancel()

    with gw.open_streams.held(token_digest, session.account.id, end):
        # (what was offboarded between the token's check and now is remembered a while)
        if gw.offboarding.refuses(token_digest, session.account.id):
            end()
        if offboarded:
            await session.close()
        else:
            await _serve_socket_tasks(gw, socket, session, tasks)
    if offboarded:
        with contextlib.suppress(Exception):  # (the client may have gone meanwhile)
            await socket.close(code=CLOSE_UNAUTHORIZED, reason=scopes.INVALID_TOKEN)


async def _serve_socket_tasks(gw: Gateway, socket: WebSocket[Any, Any, Any],
                              session: StreamSession, tasks: list[asyncio.Task[None]]) -> None:
    """The socket's reader and writer, in ``tasks`` (cancelled there when offboarded)."""
    async def send_error(message: str, status: int | None = None) -> None:
        await socket.send_text(json.dumps({"error": message, "status": status or 400}))

    async def subscribe(kind: str, command: dict[str, Any]) -> None:
        stream = str(command.get("stream", ""))
        param = command.get(STREAMS.get(stream) or "", None)
        try:
            if kind == "subscribe":
                await session.subscribe(stream, param)
            else:
                await session.unsubscribe(stream, param)
        except StreamRefused as exc:
            await send_error(str(exc), exc.status)

    max_bytes = gw.settings.stream_max_message_bytes

    async def reader() -> None:
        while True:
            text = await socket.receive_text()
            # uvicorn refuses larger messages itself (server.py); this holds on other servers
            if len(text) > max_bytes // 4 and len(text.encode()) > max_bytes:
                await socket.close(code=CLOSE_TOO_BIG, reason="Message too big")
                return
            try:
                command = json.loads(text)
            except ValueError:
                await send_error("Malformed JSON")
                continue
            if not isinstance(command, dict) or command.get("type") not in (
                    "subscribe", "unsubscribe"):
                await send_error("Unknown message type")
                continue
            await subscribe(command["type"], command)

    frames = gw.stream_frames
    # (a key of Hubbub's own in the scope: the server's send, which the app put there)
    direct = DirectSend.of(cast("Callable[..., Any] | None", socket.scope.get(RAW_SEND)))
    if direct is not None:
        session.write_now = lambda delivery: direct.frame(frames.ws_frame(delivery))

    async def writer() -> None:
        try:
            async for delivery in session.events():
                await socket.send_text(frames.ws(delivery))
        except Overflow:
            await socket.close(code=CLOSE_TOO_SLOW, reason="too slow: catch up by REST")

    try:
        initial = socket.query_params.get("stream")
        if initial:
            await subscribe("subscribe", dict(socket.query_params))
        if session.ended:
            return
        tasks.extend((asyncio.create_task(reader()), asyncio.create_task(writer())))
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.cancelled():
                continue  # offboarded
            exc = task.exception()
            if exc and not isinstance(exc, WebSocketDisconnect):
                log.warning("streaming connection failed: %r", exc)
                with contextlib.suppress(Exception):  # a close frame, not a dropped socket
                    await socket.close(code=CLOSE_INTERNAL_ERROR, reason="Internal error")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await session.close()


# --- server-sent events ----------------------------------------------------------------------

SSE_PATHS = {
    "user": "user", "user/notification": "user:notification", "public": "public",
    "public/local": "public:local", "hashtag": "hashtag", "hashtag/local": "hashtag:local",
    "list": "list", "direct": "direct",
    "community": "community",  # Hubbub's own, as on the WebSocket (``community`` parameter)
}


@get("/api/v1/streaming/{path:path}", opt=STREAMED)
async def server_sent_events(request: Request[Any, Any, Any],
                             path: FromPath[str]) -> Response[Any] | Stream:
    stream = SSE_PATHS.get(path.strip("/"))
    if stream is None:
        raise errors.NotFound("Record not found")
    if stream in ("public", "public:local") and (
            request.query_params.get("only_media", "").lower() in ("true", "1")):
        stream += ":media"  # Mastodon's /public?only_media=true is the public:media stream
    gw = gateway_of(request)
    token = bearer_token(request) or request.query_params.get("access_token")
    caller, account = await _reader(gw, token, request)
    assert token is not None  # _reader checked it
    needed = STREAMS[stream]
    param = request.query_params.get(needed) if needed else None
    limits = gw.stream_limits
    held = contextlib.AsyncExitStack()
    # TooManyConnections (429) before any byte
    held.enter_context(limits.hold(caller.token_id, account.id, _address(request)))
    await held.enter_async_context(presence.online(gw, account.id))
    session = _session(gw, account, caller.scopes)
    held.push_async_callback(session.close)
    try:
        await session.subscribe(stream, param)
    except StreamRefused as exc:
        await held.aclose()
        return responses.error(str(exc), exc.status or (
            404 if "No such" in str(exc) or "member" in str(exc) else 400))
    return Stream(_sse_body(gw, session, held, tokens.digest(token)),
                  media_type="text/event-stream",
                  headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _sse_body(gw: Gateway, session: StreamSession, held: contextlib.AsyncExitStack,
                    token_digest: str) -> AsyncIterator[bytes]:
    out: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=1)
    frames = gw.stream_frames
    task: asyncio.Task[None] | None = None

    def end() -> None:
        """Its token was revoked or its account deactivated: the response ends (from a NATS
        callback, so no await: the pump stops, and the end takes the place of what it held)."""
        session.end()
        if task is not None:
            task.cancel()
        while not out.empty():
            out.get_nowait()
        out.put_nowait(None)

    held.enter_context(gw.open_streams.held(token_digest, session.account.id, end))

    async def pump() -> None:
        try:
            async for delivery in session.events():
                await out.put(frames.sse(delivery))
        except Overflow:
            pass  # too slow: end the response; the client reconnects and catches up by REST
        await out.put(None)

    task = asyncio.create_task(pump())
    if gw.offboarding.refuses(token_digest, session.account.id):
        end()  # offboarded between the token's check and now
    try:
        yield b":)\n\n"  # opens the stream at once, as Mastodon's does
        while True:
            try:
                chunk = await asyncio.wait_for(out.get(), HEARTBEAT_S)
            except TimeoutError:
                yield b":thump\n\n"
                continue
            if chunk is None:
                return
            yield chunk
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await held.aclose()  # the session, presence, and the connection count


ROUTES = [streaming_health, streaming, server_sent_events]
