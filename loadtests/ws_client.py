"""A lean WebSocket client for load tests: one asyncio Protocol per connection, which stamps
each read with the time it came off the socket and hands over whole text messages.

The ``websockets`` client spent about 170 us of CPU per received event in ``hubbub bench live``
(its reader task, frame assembler and queue, then the listener's own task per connection): a
post to 1,000 followers took the single listener process about 170 ms just to take in, so the
benchmark's p99 measured its own listener as much as the system. Here a message is parsed
where it arrives, and its time is the time of the read (not of when a task got round to it).

Enough of RFC 6455 for a client of a server that does not fragment or compress (Hubbub turns
compression off): text, ping (answered with a pong), close; masked frames out, as clients must.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable
from urllib.parse import urlsplit

OnText = Callable[[bytes, float], None]  # (message, time.time() of the read that completed it)

_OP_CONTINUATION, _OP_TEXT, _OP_BINARY, _OP_CLOSE, _OP_PING, _OP_PONG = 0, 1, 2, 8, 9, 10


def masked_frame(opcode: int, payload: bytes = b"") -> bytes:
    if len(payload) > 125:
        raise ValueError("control and command frames here stay under 126 bytes")
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes((0x80 | opcode, 0x80 | len(payload))) + mask + body


class HandshakeFailed(Exception):
    pass


class WsClientProtocol(asyncio.Protocol):
    def __init__(self, request: bytes, on_text: OnText) -> None:
        self.request = request
        self.on_text = on_text
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.fragments: list[bytes] = []
        self.upgraded = False

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            del self.buffer[:end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(HandshakeFailed(head.split(b"\r\n", 1)[0].decode()))
                assert self.transport is not None
                self.transport.close()
                return
            self.upgraded = True
            self.opened.set_result(None)
        self._frames(now)

    def _frames(self, now: float) -> None:
        buf = self.buffer
        start = 0
        while len(buf) - start >= 2:
            first, second = buf[start], buf[start + 1]
            length = second & 0x7F
            at = start + 2
            if length == 126:
                if len(buf) - at < 2:
                    break
                (length,) = struct.unpack_from("!H", buf, at)
                at += 2
            elif length == 127:
                if len(buf) - at < 8:
                    break
                (length,) = struct.unpack_from("!Q", buf, at)
                at += 8
            if second & 0x80:  # a masked frame from a server: not expected, skip the key
                at += 4
            if len(buf) - at < length:
                break
            payload = bytes(buf[at:at + length])
            start = at + length
            self._frame(first & 0x80, first & 0x0F, payload, now)
        if start:
            del buf[:start]

    def _frame(self, fin: int, opcode: int, payload: bytes, now: float) -> None:
        if opcode in (_OP_TEXT, _OP_BINARY, _OP_CONTINUATION):
            if not fin:
                self.fragments.append(payload)
                return
            if self.fragments:
                payload = b"".join([*self.fragments, payload])
                self.fragments.clear()
            self.on_text(payload, now)
        elif opcode == _OP_PING:
            self._send(masked_frame(_OP_PONG, payload))
        elif opcode == _OP_CLOSE:
            self._send(masked_frame(_OP_CLOSE, payload[:2]))
            assert self.transport is not None
            self.transport.close()

    def _send(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or HandshakeFailed("connection closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    @property
    def is_open(self) -> bool:
        return self.upgraded and not self.closed.done()

    async def close(self, timeout: float = 5.0) -> None:
        if self.transport is None or self.closed.done():
            return
        self._send(masked_frame(_OP_CLOSE, struct.pack("!H", 1000)))
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        except TimeoutError:
            self.transport.abort()


async def connect(url: str, headers: dict[str, str], on_text: OnText,
                  timeout: float = 60.0) -> WsClientProtocol:
    """An open WebSocket to ``url`` (ws://host:port/path?query)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    key = base64.b64encode(os.urandom(16)).decode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode()
    loop = asyncio.get_running_loop()
    _transport, protocol = await loop.create_connection(
        lambda: WsClientProtocol(request, on_text), parts.hostname, parts.port or 80)
    await asyncio.wait_for(asyncio.shield(protocol.opened), timeout)
    return protocol
