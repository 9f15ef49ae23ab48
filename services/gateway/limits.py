"""How much of a request the gateway takes, checked before routing.

A request's headers are held whole by the ASGI server before the app sees them, and every
handler reads them: 1 MB of headers was accepted. Browsers and clients send a few kilobytes
(cookies, a bearer token); nginx, in front of Mastodon, refuses past 32 KB by default. The same
bound here, as a 431. A NUL in the path can name no record (PostgreSQL text cannot hold it):
refused before a path parameter carries it to a query.

Bodies are bounded by Litestar (``request_max_body_size``, a 413): NATS carries at most 1 MiB
a message, and a status is 500 characters, so no request needs more than ``MAX_BODY_BYTES``.
Media uploads, when Hubbub takes them, get their own route limit.
"""

from __future__ import annotations

import msgspec
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, HTTPScope, Send

MAX_HEADER_BYTES = 32 * 1024
MAX_BODY_BYTES = 1_000_000
# Where uvicorn stops reading a head at all (shared/compat/uvicorn_http.py): past the bound
# above, so that the ordinary 431 comes from refusal() below on any ASGI server, and this one
# only cuts a flood short.
MAX_HEAD_BYTES_READ = 2 * MAX_HEADER_BYTES
HEAD_TOO_LARGE = f"Request headers are too large (at most {MAX_HEADER_BYTES // 1024} KB)"
HEAD_TOO_LARGE_BODY = msgspec.json.encode({"error": HEAD_TOO_LARGE})

def header_bytes(scope: HTTPScope) -> int:
    """The request line's target and the headers, as counted on the wire (near enough)."""
    size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    for name, value in scope["headers"]:
        size += len(name) + len(value) + 4  # ": " and CRLF
    return size


def refusal(scope: HTTPScope) -> tuple[int, str] | None:
    """The status and message that refuse this HTTP request before routing, if any."""
    if header_bytes(scope) > MAX_HEADER_BYTES:
        return 431, HEAD_TOO_LARGE
    if "\x00" in scope["path"]:
        return 404, "Record not found" if scope["path"].startswith("/api/") else "Not found"
    return None


async def refuse(send: Send, status: int, message: str) -> None:
    body = msgspec.json.encode({"error": message})
    start: HTTPResponseStartEvent = {
        "type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]}
    await send(start)
    done: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body,
                                   "more_body": False}
    await send(done)
