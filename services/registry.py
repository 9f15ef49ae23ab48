"""Service name -> how to run it as one process."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from shared.settings import Settings

if TYPE_CHECKING:
    from services.runtime import BaseService


async def run_service(name: str, settings: Settings) -> None:
    if name == "gateway":
        from services.gateway.server import serve

        await serve(settings)
        return
    service_class = service_classes()[name]
    await service_class(settings).run_until_signalled()


def service_classes() -> dict[str, type[BaseService]]:
    from services.fanout.app import FanoutService
    from services.graph.app import GraphService
    from services.notify.app import NotifyService
    from services.posts.app import PostsService

    return {"posts": PostsService, "graph": GraphService, "fanout": FanoutService,
            "notify": NotifyService}


def run(name: str, settings: Settings) -> None:
    try:  # uvloop: a faster event loop for every service, where it is installed
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    asyncio.run(run_service(name, settings))
