"""Canary for shared/compat/uvicorn_http.py: uvicorn's httptools protocol, bounded, answers 431
to a head past the bound without calling the app, and serves everything else as before (a
large body does not count against the head)."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn

from shared.compat.uvicorn_http import bounded_httptools
from shared.infra import free_port

BODY = b'{"error":"too large"}'


async def _ask(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(65536), 5)
    writer.close()
    return answer


async def test_a_head_past_the_bound_is_a_431_before_the_app() -> None:
    called: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        called.append(scope["path"])
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="error",
                                           http=bounded_httptools(4096, BODY)))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        big = b"GET /big HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 8000 + b"\r\n\r\n"
        answer = await _ask(port, big)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
        assert answer.endswith(BODY)
        long_target = b"GET /" + b"q" * 8000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        assert (await _ask(port, long_target)).startswith(b"HTTP/1.1 431 ")
        assert called == []
        body = b"b" * 100_000
        post = (b"POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: "
                + str(len(body)).encode() + b"\r\n\r\n" + body)
        assert (await _ask(port, post)).startswith(b"HTTP/1.1 200 ")
        assert (await _ask(port, b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
                ).startswith(b"HTTP/1.1 200 ")
        assert called == ["/post", "/small"]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
