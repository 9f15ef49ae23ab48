"""The gateway's ASGI app: the Mastodon client API, Hubbub's own API, streaming."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.cors import CORSConfig
from litestar.exceptions import HTTPException

from services.gateway import responses
from services.gateway.context import Gateway
from services.gateway.express import ExpressLane
from services.gateway.routes import (
    accounts,
    authorize,
    communities,
    instance,
    lists,
    network,
    notifications,
    oauth,
    polls,
    profiles,
    relationships,
    search,
    startup,
    status_actions,
    statuses,
    streaming,
    tags,
    timelines,
    web,
)
from shared import errors, metrics
from shared.settings import Settings

log = logging.getLogger(__name__)


def _hubbub_error(request: Request[Any, Any, Any], exc: errors.HubbubError) -> Response[Any]:
    metrics.HTTP_REQUESTS.labels(request.method, str(exc.http_status)).inc()
    if exc.http_status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    return responses.error(exc.message, exc.http_status)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    message = exc.detail or "Error"
    if exc.status_code == 404:
        message = "Record not found" if request.url.path.startswith("/api/") else "Not found"
    return responses.error(message, exc.status_code)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("%s %s failed", request.method, request.url.path)
    return responses.error("Internal server error", 500)


def create_app(settings: Settings, gateway: Gateway | None = None) -> ExpressLane:
    """The Litestar app behind the express lane (which serves the hottest reads itself)."""
    gw = gateway or Gateway(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Serve at once and connect in the background: /healthz answers while NATS, Postgres or
        # Redis are still coming up, /readyz says 503, and API calls get 503 until then.
        starting = asyncio.create_task(gw.start())
        try:
            yield
        finally:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await starting
            await gw.stop()

    app = Litestar(
        # Literal paths (e.g. /accounts/lookup) register before /accounts/{id}: Litestar
        # prefers static segments anyway, this keeps the reading order the matching order.
        route_handlers=[*instance.ROUTES, *oauth.ROUTES, *profiles.ROUTES,
                        *relationships.ROUTES, *accounts.ROUTES, *statuses.ROUTES,
                        *status_actions.ROUTES, *polls.ROUTES, *timelines.ROUTES,
                        *notifications.ROUTES, *streaming.ROUTES, *communities.ROUTES,
                        *network.ROUTES, *tags.ROUTES, *search.ROUTES, *lists.ROUTES,
                        *startup.ROUTES, *authorize.ROUTES, *web.ROUTES],
        lifespan=[lifespan],
        exception_handlers={
            errors.HubbubError: _hubbub_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        cors_config=CORSConfig(allow_origins=["*"], allow_headers=["*"],
                               expose_headers=["Link"]),
        openapi_config=None,
        logging_config=None,  # shared.logs configured the process
        debug=False,
    )
    app.state.gateway = gw
    return ExpressLane(app, gw)
