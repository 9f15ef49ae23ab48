"""A partner's webhook receiver on 127.0.0.1, for the webhook tests.

Each path (``/hooks/<name>``) answers as scripted: statuses in turn (then 200), ``hang`` (the
answer never comes until the receiver closes) or ``redirect`` (a 302 to another path here,
which counts as a visit if followed). Every request is kept (headers and body), and checked the
way a partner would, with the ``standardwebhooks`` library (not Hubbub's code) when the test
gave the secret."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Received:
    name: str
    headers: dict[str, str]
    body: bytes
    answered: int | str

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Path:
    script: list[int | str] = field(default_factory=list)


class WebhookReceiver:
    def __init__(self) -> None:
        self.paths: dict[str, Path] = {}
        self.received: list[Received] = []
        self.followed: list[str] = []  # redirect targets visited
        self._arrived = asyncio.Condition()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hooks/{name}", self._receive)
        app.router.add_route("*", "/followed/{name}", self._followed)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        self._release.set()
        if self._runner:
            await self._runner.cleanup()

    def url(self, name: str, *script: int | str) -> str:
        self.paths[name] = Path(script=list(script))
        return f"{self.base}/hooks/{name}"

    def answer(self, name: str, *script: int | str) -> None:
        """From now on, answer ``name`` with ``script`` (then 200)."""
        self.paths[name].script = list(script)

    def of(self, name: str) -> list[Received]:
        return [r for r in self.received if r.name == name]

    async def wait_for(self, name: str, count: int = 1, timeout: float = 15.0
                       ) -> list[Received]:
        async def enough() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.of(name)) >= count)
        await asyncio.wait_for(enough(), timeout)
        return self.of(name)

    async def _followed(self, request: web.Request) -> web.Response:
        self.followed.append(request.match_info["name"])
        return web.Response(status=200)

    async def _receive(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        path = self.paths.setdefault(name, Path())
        body = await request.read()
        answer = path.script.pop(0) if path.script else 200
        async with self._arrived:
            self.received.append(Received(name=name, headers={k.lower(): v for k, v in
                                                              request.headers.items()},
                                          body=body, answered=answer))
            self._arrived.notify_all()
        if answer == "hang":
            await self._release.wait()
            return web.Response(status=503)
        if answer == "redirect":
            raise web.HTTPFound(f"/followed/{name}")
        assert isinstance(answer, int)
        return web.Response(status=answer, text="ok" if answer < 300 else "nope")


@contextlib.asynccontextmanager
async def running() -> AsyncIterator[WebhookReceiver]:
    receiver = await WebhookReceiver().start()
    try:
        yield receiver
    finally:
        await receiver.close()
