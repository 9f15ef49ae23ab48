"""Behind a reverse proxy: believe ``X-Forwarded-For`` and ``X-Forwarded-Proto`` only when the
connection comes from a proxy the operator listed (``HUBBUB_TRUSTED_PROXIES``). Then
``request.client.host`` is the real client (the nearest address that is not a trusted proxy) and
``request.url.scheme`` is what the client used, so that cookies are ``Secure`` behind a TLS
proxy. From anyone else the headers are ignored: a client could write them itself.

One policy for every ASGI server: the gateway applies it, and uvicorn's own (which trusts
127.0.0.1 by default) is turned off in ``server.py``. The work is uvicorn's public
``ProxyHeadersMiddleware`` (CIDRs since 0.29), given a list checked by ``shared.settings``."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shared.settings import Settings


def middleware(settings: Settings) -> list[DefineMiddleware]:
    """The gateway app's middleware for its trusted proxies: none when none are listed."""
    if not settings.trusted_proxies:
        return []
    # uvicorn types its ASGI callables its own way, Litestar its own: the same protocol.
    factory = cast("Callable[..., ASGIApp]", ProxyHeadersMiddleware)
    return [DefineMiddleware(factory, trusted_hosts=list(settings.trusted_proxies))]
