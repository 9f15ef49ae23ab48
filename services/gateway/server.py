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
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from services.gateway import limits
from services.gateway.app import create_app
from services.gateway.context import Gateway
from shared.compat.uvicorn_http import bounded_httptools
from shared.readiness import NatsConnectionLost  # (Gateway._nats_closed; services' too)
from shared.settings import Settings

if TYPE_CHECKING:
    import uvicorn

    from services.gateway.express import ExpressLane

log = logging.getLogger(__name__)


# How long a gateway whose NATS connection closed keeps answering (503, /readyz "not ready")
# before it stops: long enough for a load balancer's next probe to take it out of rotation and
# for requests already on their way to get a clean 503 rather than a refused connection.
NATS_LOST_GRACE_SECONDS = 2.0
# How long an idle keep-alive connection stays open. uvicorn's default, 5 s, is exactly the
# interval at which Mastodon.py polls an upload (``media_post(synchronous=True)``): its next
# request went out on the connection the server was closing, and failed with a reset. The same
# race hits a proxy in front whose idle timeout for its upstream connections is longer than
# ours (nginx's and cloud load balancers' 60 s): it reuses a connection we just closed, a 502.
# So: longer than those; 75 s is nginx's own default for its clients (Mastodon's Puma keeps 20 s).
KEEP_ALIVE_SECONDS = 75


async def serve(settings: Settings, server: str | None = None, *,
                gateway: Gateway | None = None,
                nats_lost_grace: float = NATS_LOST_GRACE_SECONDS) -> None:
    """Serve until signalled, or until the NATS connection is lost (NatsConnectionLost,
    ``nats_lost_grace`` seconds after the loss)."""
    gw = gateway or Gateway(settings)
    app = create_app(settings, gw)
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
        await _until_nats_lost(gw, granian_server.serve(), granian_server.stop,
                              nats_lost_grace)
    else:
        import uvicorn

        uvicorn_server = uvicorn.Server(uvicorn_config(app, settings))

        def stop() -> None:
            uvicorn_server.should_exit = True

        await _until_nats_lost(gw, uvicorn_server.serve(), stop, nats_lost_grace)


def uvicorn_config(app: ExpressLane, settings: Settings, *, host: str | None = None,
                   port: int | None = None) -> uvicorn.Config:
    """The gateway's uvicorn settings (tests run a gateway with the same)."""
    import uvicorn

    return uvicorn.Config(
        app, host=host or settings.host,
        port=settings.port("gateway") if port is None else port, log_level="warning",
        access_log=False, lifespan="on",
        # httptools with a bound on a request's head: uvicorn has none of its own there.
        http=bounded_httptools(limits.MAX_HEAD_BYTES_READ, limits.HEAD_TOO_LARGE_BODY),
        ws="websockets-sansio",
        # A client's WebSocket messages: each at most this big (larger: close 1009), and no
        # more of them held unread than the queue's bytes. (The sans-I/O protocol stops
        # reading after each message until the app takes it; the others queue up to
        # ws_max_queue.)
        ws_max_size=settings.stream_max_message_bytes,
        ws_max_queue=max(1, settings.stream_queue_bytes
                         // max(1, settings.stream_max_message_bytes)),
        # Compression cost the gateway 8% of its CPU in bench live and each connection a
        # deflate context's memory; timeline events are small. Clients that offer it get plain
        # frames.
        ws_per_message_deflate=False,
        # Forwarded headers: only from HUBBUB_TRUSTED_PROXIES, applied by the app
        # (proxies.py), never from uvicorn's default 127.0.0.1.
        proxy_headers=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=5)


async def _until_nats_lost(gw: Gateway, serving: Coroutine[Any, Any, None],
                           stop: Callable[[], None], grace: float) -> None:
    server = asyncio.ensure_future(serving)
    lost = asyncio.ensure_future(gw.nats_lost.wait())
    try:
        await asyncio.wait({server, lost}, return_when=asyncio.FIRST_COMPLETED)
        if lost.done() and not server.done():
            # Not ready already (every API call answers 503); stop once the grace is over,
            # or sooner if the server is signalled meanwhile.
            await asyncio.wait({server}, timeout=grace)
            stop()  # a graceful stop: requests in flight end, streaming clients reconnect
        await server
    finally:
        lost.cancel()
    if gw.nats_lost.is_set():
        raise NatsConnectionLost("the gateway's NATS connection closed; a new process makes "
                                 "a new one")
