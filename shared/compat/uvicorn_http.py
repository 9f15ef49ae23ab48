"""uvicorn's httptools protocol with a bound on a request's head (its target and headers).

uvicorn holds the whole head in memory before the app sees it, with no limit of its own on the
httptools parser (its ``h11_max_incomplete_event_size`` applies to h11 only): a client could
send megabytes of headers on every connection. This subclass counts the target and header bytes
as httptools hands them over, and past the bound answers 431 and closes the connection, before
the app is called. The app's own check (services/gateway/limits.py) gives the same answer for
heads between its bound and this one, on any server.

It leans on uvicorn's ``HttpToolsProtocol`` callbacks (``on_message_begin``, ``on_url``,
``on_header``) and on its answering a parser error through ``send_400_response``, which an
exception raised in a callback becomes. Checked on uvicorn 0.55 (pyproject.toml holds uvicorn
below 0.56); tests/unit/test_compat_uvicorn_http.py is the canary.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol


class HeadTooLarge(Exception):
    pass


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    max_head_bytes = 64 * 1024
    refusal_body = b'{"error":"Request headers are too large"}'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._head_too_large = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.max_head_bytes:
            self._head_too_large = True
            raise HeadTooLarge  # httptools turns it into a parser error, answered below

    def send_400_response(self, msg: str) -> None:
        if not self._head_too_large:
            return super().send_400_response(msg)
        body = self.refusal_body
        self.transport.write(b"".join([
            STATUS_LINE[431], b"content-type: application/json\r\n",
            b"content-length: ", str(len(body)).encode(), b"\r\n", b"connection: close\r\n",
            b"\r\n", body]))
        self.transport.close()


def bounded_httptools(max_head_bytes: int, refusal_body: bytes) -> type[HttpToolsProtocol]:
    """The protocol class to pass as uvicorn's ``http``, with this bound and answer."""
    return type("BoundedHttpToolsProtocol", (BoundedHttpToolsProtocol,),
                {"max_head_bytes": max_head_bytes, "refusal_body": refusal_body})
