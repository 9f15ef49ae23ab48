"""Writing a streamed event straight onto its connection's socket, from the moment it is
decided, when the server underneath is uvicorn's sans-I/O WebSocket protocol (the gateway's).

Through the ASGI path each event took a queue hand-off, a wake-up of the connection's writer
task and four layers of send wrappers: together about as much CPU as the socket write itself,
which made the last of a post's 1,000 readers on a gateway wait ~50 ms longer. Here the frame,
built once for all the connections that get it, is written at once.

This reaches past ASGI into the server's protocol object (shared/compat/uvicorn.py), so it is
used only when its parts are there and of the expected kinds, and only when nothing else is
pending for the connection; otherwise the event takes the ASGI path.
tests/gateway/test_streaming_direct.py fails if the gateway stops writing directly (a uvicorn
upgrade that renamed them), so that such a change is seen, not just slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from websockets.protocol import Protocol, State

from shared.compat import uvicorn as uvicorn_compat

RAW_SEND = "hubbub.raw_send"  # scope key: the server's own send, before any wrapper


class DirectSend:
    def __init__(self, server_protocol: Any, conn: Protocol, writable: asyncio.Event) -> None:
        self.server_protocol = server_protocol
        self.conn = conn
        self.writable = writable

    @classmethod
    def of(cls, send: Callable[..., Any] | None) -> DirectSend | None:
        parts = uvicorn_compat.protocol_parts(send)
        return cls(*parts) if parts is not None else None

    def frame(self, frame: bytes) -> bool:
        """Written (True), or not (False: the socket's buffer is full, or the connection is
        closing): the caller then sends it the ASGI way, which waits or fails as it should.

        ``frame``: a whole server frame (frames.ws_frame), the same for every connection. It
        goes on the socket beside the protocol object, which keeps no state for the data
        frames it sends (no mask, no compression, no fragments here) and has nothing of its
        own waiting: uvicorn writes out what it produces at once."""
        transport = self.server_protocol.transport
        if (not self.writable.is_set() or self.server_protocol.close_sent
                or transport.is_closing() or self.conn.state is not State.OPEN):
            return False
        transport.write(frame)
        return True
