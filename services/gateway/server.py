"""Run the gateway app on an ASGI server inside this process's event loop.

Two servers are supported; ``HUBBUB_ASGI_SERVER`` picks one. uvicorn (with httptools, on
uvloop) is the default, by measurement on this 2-core machine: ``hubbub bench asgi`` finds it
level with granian on requests per second (granian/uvicorn 1.01x on a bare endpoint), and
``hubbub bench live --server NAME`` finds it holding an idle WebSocket in 79 KB against
granian's 174 KB. (Before httptools and uvloop, granian led 2.8x: h11 was the cost.)
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from services.gateway import limits
from services.gateway.app import create_app
from shared.compat.uvicorn_http import bounded_httptools
from shared.settings import Settings

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger(__name__)


async def serve(settings: Settings, server: str | None = None) -> None:
    app = create_app(settings)
    choice = server or os.environ.get("HUBBUB_ASGI_SERVER", "uvicorn")
    port = settings.port("gateway")
    log.info("gateway on %s (%s)", settings.base_url, choice)
    if choice == "granian":
        try:  # an extra: uvicorn is the default, so production images need not carry granian
            from granian.constants import Interfaces
            from granian.server.embed import Server
        except ImportError as error:
            raise RuntimeError("HUBBUB_ASGI_SERVER=granian needs granian: "
                               "pip install 'hubbub[granian]'") from error

        granian_server = Server(app, address=settings.host, port=port,
                                interface=Interfaces.ASGI, log_access=False)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, granian_server.stop)
        await granian_server.serve()
    else:
        import uvicorn

        await uvicorn.Server(uvicorn_config(app, settings.host, port)).serve()


def uvicorn_config(app: Callable[..., Awaitable[Any]], host: str, port: int) -> uvicorn.Config:
    import uvicorn

    # httptools with a bound on a request's head: uvicorn has none of its own there.
    http = bounded_httptools(limits.MAX_HEAD_BYTES_READ, limits.HEAD_TOO_LARGE_BODY)
    return uvicorn.Config(app, host=host, port=port, log_level="warning",
                          access_log=False, lifespan="on", http=http,
                          ws="websockets-sansio", ws_max_queue=32,
                          # Compression cost the gateway 8% of its CPU in bench live and
                          # each connection a deflate context's memory; timeline events
                          # are small. Clients that offer it get plain frames.
                          ws_per_message_deflate=False,
                          # Forwarded headers: only from HUBBUB_TRUSTED_PROXIES, applied by
                          # the app (proxies.py), never from uvicorn's default 127.0.0.1.
                          proxy_headers=False,
                          timeout_graceful_shutdown=5)
