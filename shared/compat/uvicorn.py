"""uvicorn's WebSocket protocol object, reached past ASGI.

The gateway writes a streamed event's frame straight onto the socket of each connection that
gets it (services/gateway/streaming/direct.py says why: the ASGI path cost as much CPU as the
write itself). That needs three things of uvicorn's sans-I/O WebSocket protocol
(`uvicorn.protocols.websockets.websockets_sansio_impl.WebSocketsSansIOProtocol`), none of them
public: the server's `send` is a bound method of the protocol object, which has `conn` (the
websockets `Protocol`), `writable` (an `asyncio.Event` set while the transport takes writes),
`transport`, and `close_sent`.

Checked on uvicorn 0.55 (pyproject.toml holds uvicorn below 0.56). Where any of them is missing
or of another kind, `protocol_parts` answers None and the gateway takes the ASGI path: slower,
never wrong. tests/gateway/test_streaming_direct.py is the canary: it fails if the gateway stops
writing directly after an upgrade, so that such a change is seen, not just slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, NamedTuple

from websockets.protocol import Protocol


class ProtocolParts(NamedTuple):
    server_protocol: Any  # uvicorn's protocol object: .transport, .close_sent
    conn: Protocol
    writable: asyncio.Event


def protocol_parts(send: Callable[..., Any] | None) -> ProtocolParts | None:
    """The parts of the server's protocol behind ``send`` (the ASGI send uvicorn handed the
    app, before any wrapper), or None when they are not all there and of the expected kinds."""
    server_protocol = getattr(send, "__self__", None)
    conn = getattr(server_protocol, "conn", None)
    writable = getattr(server_protocol, "writable", None)
    if (isinstance(conn, Protocol) and isinstance(writable, asyncio.Event)
            and hasattr(server_protocol, "transport")
            and isinstance(getattr(server_protocol, "close_sent", None), bool)):
        return ProtocolParts(server_protocol, conn, writable)
    return None
