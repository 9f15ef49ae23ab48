"""What goes on the wire for one streamed event: a WebSocket text message (Mastodon's
``{"stream": [...], "event": ..., "payload": "<JSON as a string>"}``) or a server-sent event.

A status reaching 1,000 readers of one gateway has one payload (shared_statuses.RenderCache), so
its frame is the same for every reader who watches the same stream: it is encoded once per gateway
and the same text is sent to each (quoting a 2 KB payload into a JSON string per reader was
per-connection work for nothing). Per-reader payloads (notifications, conversations) are encoded
as they come, without being cached."""

from __future__ import annotations

import struct
from typing import NamedTuple

import msgspec

from shared.bounded_cache import BoundedCache

_encode = msgspec.json.Encoder().encode


class Delivery(NamedTuple):
    names: tuple[str, ...]  # as Mastodon labels the stream: ("user",), ("hashtag", "tag")
    event: str
    payload: str
    shared: bool  # the payload is the same for every reader (cache its frame)


def ws_text(names: tuple[str, ...], event: str, payload: str) -> str:
    if not payload:  # an event without one (filters_changed): none, as Mastodon sends it
        return _encode({"stream": names, "event": event}).decode()
    return _encode({"stream": names, "event": event, "payload": payload}).decode()


def ws_frame(text: str) -> bytes:
    """The whole WebSocket frame of a text message as a server sends it (RFC 6455: FIN, text
    opcode, no mask; no compression, which the gateway never negotiates): the same bytes for
    every connection, so a shared event is framed once (streaming/direct.py writes them)."""
    data = text.encode()
    size = len(data)
    if size < 126:
        head = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, size)
    else:
        head = struct.pack("!BBQ", 0x81, 127, size)
    return head + data


def sse_bytes(event: str, payload: str) -> bytes:
    # An event without a payload still needs data to be dispatched by an EventSource; Mastodon
    # writes JavaScript's ``undefined`` there, and so does Hubbub, for clients made for it.
    return f"event: {event}\ndata: {payload or 'undefined'}\n\n".encode()


class Frames:
    """Shared frames, the oldest out past ``size``. Keyed by everything a frame is made of (the
    stream's names, the event, the payload itself), so a frame found is the frame: no race."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._ws: BoundedCache[tuple[tuple[str, ...], str, str], str] = BoundedCache(size)
        self._ws_frames: BoundedCache[tuple[tuple[str, ...], str, str], bytes] = (
            BoundedCache(size))
        self._sse: BoundedCache[tuple[str, str], bytes] = BoundedCache(size)

    def ws(self, delivery: Delivery) -> str:
        names, event, payload, shared = delivery
        if not shared:
            return ws_text(names, event, payload)
        key = (names, event, payload)  # the payload str caches its own hash
        text = self._ws.get(key)
        if text is None:
            text = self._ws.put(key, ws_text(names, event, payload))
        return text

    def ws_frame(self, delivery: Delivery) -> bytes:
        names, event, payload, shared = delivery
        if not shared:
            return ws_frame(ws_text(names, event, payload))
        key = (names, event, payload)
        frame = self._ws_frames.get(key)
        if frame is None:
            frame = self._ws_frames.put(key, ws_frame(self.ws(delivery)))
        return frame

    def sse(self, delivery: Delivery) -> bytes:
        _names, event, payload, shared = delivery
        if not shared:
            return sse_bytes(event, payload)
        key = (event, payload)
        chunk = self._sse.get(key)
        if chunk is None:
            chunk = self._sse.put(key, sse_bytes(event, payload))
        return chunk
