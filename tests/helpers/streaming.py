"""Streaming clients for the tests: the WebSocket URL, subscribing, reading events."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.helpers import Api


def ws_url(target: Api | str, query: str = "") -> str:
    """The streaming WebSocket of the stack's gateway (``api``), or of a gateway's base URL."""
    base_url = target if isinstance(target, str) else target.stack.base_url
    return base_url.replace("http://", "ws://") + "/api/v1/streaming" + query


async def next_event(ws, timeout: float = 5.0) -> dict:
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


async def events_until(ws, count: int, timeout: float = 5.0) -> list[dict]:
    return [await next_event(ws, timeout) for _ in range(count)]


async def subscribe(ws, stream: str | None = None, **fields) -> None:
    """``subscribe`` to ``stream`` with its parameters (``tag=``, ``list=``...); with no stream,
    exactly ``fields`` (tests of malformed subscriptions)."""
    stream_field = {"stream": stream} if stream is not None else {}
    await ws.send(json.dumps({"type": "subscribe", **stream_field, **fields}))
    await asyncio.sleep(0.2)  # the gateway subscribes to NATS before the next post


class SSEReader:
    """Blocks (events or comments) of a server-sent-events response, as they arrive."""

    def __init__(self, response: httpx.Response) -> None:
        self.chunks = response.aiter_text()
        self.buffer = ""

    async def next(self, count: int, timeout: float = 5.0) -> list[str]:
        blocks: list[str] = []

        async def collect() -> None:
            while len(blocks) < count:
                while "\n\n" in self.buffer and len(blocks) < count:
                    block, self.buffer = self.buffer.split("\n\n", 1)
                    blocks.append(block)
                if len(blocks) < count:
                    self.buffer += await self.chunks.__anext__()

        await asyncio.wait_for(collect(), timeout)
        return blocks
