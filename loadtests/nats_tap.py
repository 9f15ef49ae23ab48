"""A lean NATS subscriber for load tests: it taps subjects and stamps each message with the time
it came off the socket, at a fraction of nats-py's cost per message.

``hubbub bench live --trace`` listens to every live message (``hubbub.live.user.>`` and
``hubbub.live.users``) to time fanout's hop. Through nats-py (its parser, a Msg object, a queue
and a task wake-up per message) that cost the listener process about as much CPU as receiving
the WebSocket events themselves,
on the same two cores as the system it measures, and most of it in the bursts (a post to 1,000
followers) that make the tail. Here a message is parsed where it is read.

Enough of the client protocol to subscribe: CONNECT, SUB, PING/PONG, MSG and HMSG (headers are
skipped)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

OnMessage = Callable[[bytes, bytes, float], None]  # (subject, payload, time.time() of the read)

CONNECT = {"verbose": False, "pedantic": False, "headers": True, "no_responders": False,
           "protocol": 1, "name": "hubbub-bench-tap", "lang": "python", "version": "0"}


class NatsTap(asyncio.Protocol):
    def __init__(self, on_message: OnMessage, credentials: dict[str, str] | None = None
                 ) -> None:
        self.on_message = on_message
        self.credentials = credentials or {}
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.sids: dict[bytes, str] = {}
        self.pongs: list[asyncio.Future[None]] = []
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport
        connect = {**CONNECT, **self.credentials}
        transport.write(b"CONNECT " + json.dumps(connect).encode() + b"\r\n")

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buffer
        buf += data
        start = 0
        while True:
            end = buf.find(b"\r\n", start)
            if end < 0:
                break
            line = bytes(buf[start:end])
            if line.startswith((b"MSG ", b"HMSG ")):
                parts = line.split()
                total = int(parts[-1])
                headers = int(parts[-2]) if parts[0] == b"HMSG" else 0
                body_end = end + 2 + total
                if len(buf) < body_end + 2:
                    break  # the payload is still coming
                self.on_message(parts[1], bytes(buf[end + 2 + headers:body_end]), now)
                start = body_end + 2
                continue
            start = end + 2
            if line == b"PING":
                self._write(b"PONG\r\n")
            elif line == b"PONG" and self.pongs:
                pong = self.pongs.pop(0)
                if not pong.done():
                    pong.set_result(None)
            elif line.startswith(b"-ERR"):
                raise RuntimeError(f"nats: {line.decode()}")
            # INFO and +OK need nothing
        if start:
            del buf[:start]

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    async def subscribe(self, subject: str) -> None:
        """Returns once the server has the subscription."""
        sid = str(len(self.sids) + 1).encode()
        self.sids[sid] = subject
        self._write(b"SUB " + subject.encode() + b" " + sid + b"\r\n")
        await self.flush()

    async def flush(self, timeout: float = 5.0) -> None:
        pong = asyncio.get_running_loop().create_future()
        self.pongs.append(pong)
        self._write(b"PING\r\n")
        await asyncio.wait_for(pong, timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        for pong in self.pongs:
            if not pong.done():
                pong.set_exception(exc or ConnectionError("nats connection closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            await self.closed


async def tap(url: str | list[str], on_message: OnMessage) -> NatsTap:
    # A cluster's URL list: any one server sees every subject (the tap only listens).
    parts = urlsplit(url[0] if isinstance(url, list) else url)
    loop = asyncio.get_running_loop()
    credentials = ({"user": unquote(parts.username), "pass": unquote(parts.password or "")}
                   if parts.username else None)
    _transport, protocol = await loop.create_connection(
        lambda: NatsTap(on_message, credentials), parts.hostname or "127.0.0.1",
        parts.port or 4222)
    return protocol
