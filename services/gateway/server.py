"""Run the gateway app on an ASGI server inside this process's event loop.

Two servers are supported; ``HUBBUB_ASGI_SERVER`` picks one. granian is the default: measured
by ``hubbub bench asgi`` (loadtests/asgi_servers.py) at 2.8x uvicorn's requests per second on a
bare endpoint and 1.6x on the home timeline, on this 2-core machine.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from services.gateway.app import create_app
from shared.settings import Settings

log = logging.getLogger(__name__)


async def serve(settings: Settings, server: str | None = None) -> None:
    app = create_app(settings)
    choice = server or os.environ.get("HUBBUB_ASGI_SERVER", "granian")
    port = settings.port("gateway")
    log.info("gateway on %s (%s)", settings.base_url, choice)
    if choice == "granian":
        from granian.constants import Interfaces
        from granian.server.embed import Server

        granian_server = Server(app, address=settings.host, port=port,
                                interface=Interfaces.ASGI, log_access=False)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, granian_server.stop)
        await granian_server.serve()
    else:
        import uvicorn

        config = uvicorn.Config(app, host=settings.host, port=port, log_level="warning",
                                access_log=False, lifespan="on", ws="websockets-sansio",
                                ws_max_queue=32, timeout_graceful_shutdown=5)
        await uvicorn.Server(config).serve()
