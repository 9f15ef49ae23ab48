"""The benchmark's lean WebSocket client (loadtests/ws_client.py): it must read what the
gateway streams, answer the server's pings (or the server drops it), and close cleanly."""

from __future__ import annotations

import asyncio
import json
import time

from websockets.asyncio.server import serve

from loadtests.ws_client import connect
from tests.helpers import Api


async def test_reads_the_gateways_stream_with_the_time_of_the_read(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    got: list[tuple[dict, float]] = []
    arrived = asyncio.Event()

    def on_text(raw: bytes, now: float) -> None:
        got.append((json.loads(raw), now))
        arrived.set()

    url = api.stack.base_url.replace("http://", "ws://") + "/api/v1/streaming?stream=user"
    ws = await connect(url, reader.headers, on_text)
    try:
        await asyncio.sleep(0.3)  # the gateway subscribes after the handshake
        before = time.time()
        status = await api.post(author, "x" * 300)  # a frame over 125 bytes: 16-bit length
        await asyncio.wait_for(arrived.wait(), 5)
        event, at = got[0]
        assert event["event"] == "update" and event["stream"] == ["user"]
        assert json.loads(event["payload"])["id"] == status["id"]
        assert before <= at <= time.time()
        assert ws.is_open
    finally:
        await ws.close()
    assert not ws.is_open


async def test_answers_pings_and_gets_long_messages() -> None:
    big = "y" * 70_000  # a 64-bit length

    async def handler(conn) -> None:
        await asyncio.sleep(0.5)  # several pings go unanswered-or-answered by now
        await conn.send(big)
        await conn.wait_closed()

    async with serve(handler, "127.0.0.1", 0, ping_interval=0.1, ping_timeout=0.2) as server:
        port = server.sockets[0].getsockname()[1]
        texts: list[bytes] = []
        ws = await connect(f"ws://127.0.0.1:{port}/", {}, lambda raw, _now: texts.append(raw))
        for _ in range(50):
            if texts:
                break
            await asyncio.sleep(0.05)
        assert texts == [big.encode()]  # still open after pings with a 0.2 s pong timeout
        assert ws.is_open
        await ws.close()
