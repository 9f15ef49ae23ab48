"""A bare endpoint for comparison: the gateway's framework (Litestar), ASGI server and settings
(``HUBBUB_ASGI_SERVER``, as services/gateway/server.py runs them, on uvloop where installed)
answering ``GET /bare`` with a static body of a given size, no I/O.

    python -m loadtests.bare_app --port 18080 --size 30000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from litestar import Litestar, Response, get


def create_app(size: int) -> Litestar:
    body = (b'[{"id":"1","content":"' + b"x" * max(0, size - 26) + b'"}]')[:max(size, 2)]

    @get("/bare", sync_to_thread=False)
    def bare() -> Response:
        return Response(content=body, media_type="application/json")

    return Litestar(route_handlers=[bare], openapi_config=None, logging_config=None)


async def serve(app: Litestar, host: str, port: int) -> None:
    """``app`` on the gateway's ASGI server (HUBBUB_ASGI_SERVER), as the gateway runs it."""
    if os.environ.get("HUBBUB_ASGI_SERVER", "uvicorn") == "granian":
        from granian.constants import Interfaces
        from granian.server.embed import Server

        server = Server(app, address=host, port=port, interface=Interfaces.ASGI,
                        log_access=False)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server.stop)
        await server.serve()
    else:
        import uvicorn

        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                access_log=False, lifespan="on", http="httptools")
        await uvicorn.Server(config).serve()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--size", type=int, required=True)
    args = parser.parse_args()
    run(create_app(args.size), args.host, args.port)


def run(app: Litestar, host: str, port: int) -> None:
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    asyncio.run(serve(app, host, port))


if __name__ == "__main__":
    main()
