"""A push service and a browser on 127.0.0.1, for the Web Push tests.

The browser side holds what a real browser's ``PushManager.subscribe`` makes: a P-256 key pair
and a 16-byte auth secret, handed to Hubbub as ``subscription[keys]``. The push service
receives each message, checks its VAPID ``Authorization`` (RFC 8292: an ES256 JWT signed by the
instance's public key, its audience this service's origin) and decrypts the body with
``http_ece`` (an implementation that is not Hubbub's), as the browser would: a message that
arrives here readable is one a browser could read.

Each endpoint (``/push/<name>``) answers as scripted: a list of statuses to give in turn (then
201), or ``hang`` (the answer never comes, until the receiver closes)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """One browser's push subscription keys."""

    def __init__(self, private: ec.EllipticCurvePrivateKey | None = None,
                 auth: bytes | None = None) -> None:
        self.private = private or ec.generate_private_key(ec.SECP256R1())
        self.auth = auth or os.urandom(16)
        self.p256dh = b64url(self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def keys(self) -> dict[str, str]:
        return {"p256dh": self.p256dh, "auth": b64url(self.auth)}

    def decrypt(self, body: bytes) -> bytes:
        return bytes(http_ece.decrypt(body, private_key=self.private, auth_secret=self.auth,
                                      version="aes128gcm"))


@dataclass
class Received:
    name: str
    headers: dict[str, str]
    payload: dict[str, Any]  # the decrypted JSON
    claims: dict[str, Any]  # the VAPID JWT's, its signature checked


@dataclass
class Endpoint:
    browser: Browser
    script: list[int | str] = field(default_factory=list)  # statuses in turn, or "hang"
    attempts: int = 0
    attempt_times: list[float] = field(default_factory=list)


class PushReceiver:
    def __init__(self, server_key: str) -> None:
        self.server_key = server_key  # the instance's VAPID public key, base64url
        self.endpoints: dict[str, Endpoint] = {}
        self.received: list[Received] = []
        self.problems: list[str] = []  # what a browser or push service would have refused
        self._arrived = asyncio.Condition()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> PushReceiver:
        app = web.Application()
        app.router.add_post("/push/{name}", self._receive)
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

    def endpoint(self, name: str, *script: int | str, browser: Browser | None = None
                 ) -> tuple[str, Browser]:
        """A new subscription's endpoint URL and its browser (a new one unless given)."""
        browser = browser or Browser()
        self.endpoints[name] = Endpoint(browser=browser, script=list(script))
        return f"{self.base}/push/{name}", browser

    def of(self, name: str) -> list[Received]:
        return [r for r in self.received if r.name == name]

    async def wait_for(self, name: str, count: int = 1, timeout: float = 10.0
                       ) -> list[Received]:
        async def enough() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.of(name)) >= count)
        await asyncio.wait_for(enough(), timeout)
        return self.of(name)

    async def _receive(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            return web.Response(status=404)
        endpoint.attempts += 1
        endpoint.attempt_times.append(time.monotonic())
        body = await request.read()
        answer = endpoint.script.pop(0) if endpoint.script else 201
        if answer == "hang":
            await self._release.wait()
            return web.Response(status=503)
        assert isinstance(answer, int)
        if answer >= 300:
            return web.Response(status=answer)
        try:
            claims = self._check_vapid(request, name)
            if request.headers.get("Content-Encoding") != "aes128gcm":
                raise ValueError(f"Content-Encoding {request.headers.get('Content-Encoding')}")
            if not request.headers.get("TTL", "").isdigit():
                raise ValueError("no TTL")
            payload = json.loads(endpoint.browser.decrypt(body))
        except Exception as exc:  # what a push service or browser would refuse
            self.problems.append(f"{name}: {type(exc).__name__}: {exc}")
            return web.Response(status=400)
        async with self._arrived:
            self.received.append(Received(name=name, headers=dict(request.headers),
                                          payload=payload, claims=claims))
            self._arrived.notify_all()
        return web.Response(status=answer)

    def _check_vapid(self, request: web.Request, name: str) -> dict[str, Any]:
        scheme, _, rest = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError("no vapid Authorization")
        fields = dict(part.strip().split("=", 1) for part in rest.split(","))
        if fields.get("k") != self.server_key:
            raise ValueError("k is not the instance's key")
        head, claims_part, signature = fields["t"].split(".")
        if json.loads(unb64url(head)) != {"typ": "JWT", "alg": "ES256"}:
            raise ValueError("not an ES256 JWT")
        raw = unb64url(signature)
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
        key.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                        int.from_bytes(raw[32:], "big")),
                   f"{head}.{claims_part}".encode(), ec.ECDSA(hashes.SHA256()))
        claims: dict[str, Any] = json.loads(unb64url(claims_part))
        if claims["aud"] != self.base:
            raise ValueError(f"aud {claims['aud']} is not {self.base}")
        if not time.time() < claims["exp"] <= time.time() + 24 * 3600:
            raise ValueError("exp out of range")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise ValueError("sub is not mailto: or https:")
        return claims


@contextlib.asynccontextmanager
async def running(server_key: str) -> AsyncIterator[PushReceiver]:
    receiver = await PushReceiver(server_key).start()
    try:
        yield receiver
    finally:
        await receiver.close()
