"""The gateway's idle keep-alive connections outlive a client's 5 s poll (server.py's
KEEP_ALIVE_SECONDS): Mastodon.py's ``media_post(synchronous=True)`` asks every 5 s on one
connection, and with uvicorn's default 5 s the server closed it as the next request went out
(a reset, and the upload reported as failed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn
from litestar import Litestar, get

from services.gateway.server import uvicorn_config
from shared.infra import free_port
from shared.settings import Settings

POLL_S = 5.5  # a client's pause between two requests: past uvicorn's default 5 s


@get("/ping", sync_to_thread=False)
def ping() -> str:
    return "pong"


@pytest.fixture
async def served_port() -> AsyncIterator[int]:
    """A small app behind the gateway's own uvicorn configuration, on loopback."""
    port = free_port()
    server = uvicorn.Server(uvicorn_config(Litestar([ping]), Settings(), host="127.0.0.1",
                                           port=port))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    return head + await asyncio.wait_for(reader.readexactly(length), 5)


async def test_an_idle_connection_is_kept_past_a_five_second_poll(served_port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served_port)
    try:
        assert (await answer(reader, writer)).endswith(b"pong")
        await asyncio.sleep(POLL_S)  # the client's pause: what is measured is time itself
        assert not reader.at_eof(), "the server closed the idle connection"
        assert (await answer(reader, writer)).endswith(b"pong")
    finally:
        writer.close()
