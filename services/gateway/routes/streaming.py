"""Mastodon streaming over WebSocket: one connection multiplexes streams, subscribed by message.

Each connection has a bounded queue. Live messages carry ids; the connection renders each for
its own reader (Mastodon JSON as a string in ``payload``). A client that falls behind far enough
to fill its queue is closed (code 1013) and catches up by REST with ``since_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import msgspec
from litestar import Response, WebSocket, get, websocket
from litestar.exceptions import WebSocketDisconnect

from services.gateway import tokens
from services.gateway.context import Gateway, gateway_of
from services.gateway.routes.notifications import render as render_notifications
from shared import bus, errors, subjects
from shared.contracts import communities as communities_api
from shared.contracts import live
from shared.contracts import notify as notify_api
from shared.ids import parse_id
from shared.records import AccountRecord, NotificationRecord

log = logging.getLogger(__name__)
QUEUE_SIZE = 512
CLOSE_TOO_SLOW = 1013  # "try again later": the client reconnects and catches up by REST


@get("/api/v1/streaming/health", sync_to_thread=False)
def streaming_health() -> Response:
    return Response(content=b"OK", media_type="text/plain")


class StreamingConnection:
    def __init__(self, gw: Gateway, socket: WebSocket, account: AccountRecord) -> None:
        self.gw = gw
        self.socket = socket
        self.account = account
        self.queue: asyncio.Queue[tuple[str, live.LiveMessage]] = asyncio.Queue(QUEUE_SIZE)
        self.streams: dict[str, str] = {}  # stream name -> subject
        self.overflowed = False

    def on_live(self, subject: str, message: live.LiveMessage) -> None:
        try:
            self.queue.put_nowait((subject, message))
        except asyncio.QueueFull:
            self.overflowed = True

    def subject_for(self, stream: str) -> str | None:
        if stream in ("user", "user:notification"):
            return subjects.live_user(self.account.id)
        if stream in ("public", "public:local"):
            return subjects.live_network(self.account.network_id)
        if stream.startswith("community:"):
            community_id = parse_id(stream.partition(":")[2])
            return subjects.live_community(community_id) if community_id is not None else None
        return None

    @staticmethod
    def stream_key(stream: str, community: object = None) -> str:
        """Community streams are watched one per community, as ``community:<id>``."""
        return f"community:{community or ''}" if stream == "community" else stream

    async def subscribe(self, stream: str) -> None:
        subject = self.subject_for(stream)
        if subject is None:
            await self.send_error(f"Unknown stream type: {stream}")
            return
        if stream.startswith("community:") and not await self._member_of(stream):
            await self.send_error("You are not a member of this community")
            return
        assert self.gw.hub is not None
        self.streams[stream] = subject
        await self.gw.hub.add(subject, self.on_live)

    async def _member_of(self, stream: str) -> bool:
        assert self.gw.nc is not None
        try:
            community = await bus.request(
                self.gw.nc, "graph", "community.get",
                communities_api.CommunityRef(account_id=self.account.id,
                                             community_id=int(stream.partition(":")[2])),
                communities_api.CommunityRecord)
        except errors.NotFound:
            return False
        return community.role is not None

    async def unsubscribe(self, stream: str) -> None:
        subject = self.streams.pop(stream, None)
        if subject and subject not in self.streams.values():
            assert self.gw.hub is not None
            await self.gw.hub.remove(subject, self.on_live)

    async def close(self) -> None:
        assert self.gw.hub is not None
        for subject in set(self.streams.values()):
            await self.gw.hub.remove(subject, self.on_live)
        self.streams.clear()

    async def send_error(self, message: str) -> None:
        await self.socket.send_text(json.dumps({"error": message, "status": 400}))

    async def reader(self) -> None:
        while True:
            text = await self.socket.receive_text()
            try:
                command = json.loads(text)
            except ValueError:
                await self.send_error("Malformed JSON")
                continue
            if not isinstance(command, dict) or command.get("type") not in (
                    "subscribe", "unsubscribe"):
                await self.send_error("Unknown message type")
                continue
            stream = self.stream_key(str(command.get("stream", "")), command.get("community"))
            if command["type"] == "subscribe":
                await self.subscribe(stream)
            else:
                await self.unsubscribe(stream)

    async def writer(self) -> None:
        while True:
            if self.overflowed:
                await self.socket.close(code=CLOSE_TOO_SLOW, reason="too slow: catch up by REST")
                return
            subject, message = await self.queue.get()
            for stream, watched in list(self.streams.items()):
                if watched != subject:
                    continue
                payload = await self.render(stream, message)
                if payload is not None:
                    await self.socket.send_text(json.dumps(
                        {"stream": [stream], "event": message.event, "payload": payload}))

    async def render(self, stream: str, message: live.LiveMessage) -> str | None:
        hydrator = self.gw.hydrator
        assert hydrator is not None and self.gw.nc is not None
        if message.event == "notification":
            if stream not in ("user", "user:notification") or message.notification_id is None:
                return None
            try:
                record = await bus.request(
                    self.gw.nc, "notify", "notification.get",
                    notify_api.GetNotification(account_id=self.account.id,
                                               id=message.notification_id),
                    NotificationRecord)
            except errors.NotFound:
                return None
            shaped = await render_notifications(self.gw, [record])
            return msgspec.json.encode(shaped[0]).decode() if shaped else None
        if stream == "user:notification" or message.status_id is None:
            return None
        if message.event == "delete":
            return str(message.status_id)
        rendered = await hydrator.render_status_ids([message.status_id], self.account.id)
        return msgspec.json.encode(rendered[0]).decode() if rendered else None


def _token(socket: WebSocket) -> tuple[str | None, str | None]:
    """(token, subprotocol to echo): query, Authorization header, or Sec-WebSocket-Protocol."""
    header = socket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), None
    if socket.query_params.get("access_token"):
        return socket.query_params.get("access_token"), None
    protocol = socket.headers.get("sec-websocket-protocol")
    if protocol:
        return protocol.split(",")[0].strip(), protocol.split(",")[0].strip()
    return None, None


@websocket("/api/v1/streaming")
async def streaming(socket: WebSocket) -> None:
    gw = gateway_of(socket)
    token, subprotocol = _token(socket)
    caller: tokens.Caller | None = None
    if token:
        with contextlib.suppress(errors.Unauthorized):
            caller = await gw.caller(socket, token=token)
    account = None
    if caller is not None and caller.account_id is not None:
        assert gw.hydrator is not None
        account = await gw.hydrator.account(caller.account_id)
    if account is None or account.deactivated:
        await socket.close(code=4001, reason="Missing or invalid access token")
        return
    await socket.accept(subprotocols=subprotocol)
    connection = StreamingConnection(gw, socket, account)
    initial = socket.query_params.get("stream")
    if initial:
        await connection.subscribe(connection.stream_key(initial,
                                                         socket.query_params.get("community")))
    reader = asyncio.create_task(connection.reader())
    writer = asyncio.create_task(connection.writer())
    try:
        done, _ = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc and not isinstance(exc, WebSocketDisconnect):
                log.warning("streaming connection failed: %r", exc)
    finally:
        reader.cancel()
        writer.cancel()
        await asyncio.gather(reader, writer, return_exceptions=True)
        await connection.close()


ROUTES = [streaming_health, streaming]
