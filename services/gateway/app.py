"""The gateway's ASGI app: the Mastodon client API, Hubbub's own API, streaming."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.cors import CORSConfig
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware

from services.gateway import limits, observe, proxies, rate_limits, responses, scopes
from services.gateway.context import Gateway
from services.gateway.express import ExpressLane
from services.gateway.request_key_scope import RequestKeyScope
from services.gateway.routes import (
    account_extras,
    accounts,
    admin_accounts,
    admin_blocks,
    admin_dashboard,
    admin_reports,
    authorize,
    communities,
    community_integrations,
    conversations,
    discovery,
    feeds,
    files,
    filters,
    grouped_notifications,
    instance,
    instance_extras,
    lists,
    media,
    membership,
    membership_pages,
    network,
    notification_requests,
    notifications,
    oauth,
    openapi,
    polls,
    profiles,
    push,
    relationships,
    reports,
    scheduled_statuses,
    scim,
    scim_tokens,
    search,
    sso,
    startup,
    status_actions,
    status_extras,
    statuses,
    streaming,
    tags,
    timelines,
    trends,
    web,
    webhooks,
)
from shared import errors, metrics
from shared.readiness import RETRY_AFTER_S, SERVER_AWAY_ERRORS, is_server_away
from shared.settings import Settings

log = logging.getLogger(__name__)


def _hubbub_error(request: Request[Any, Any, Any], exc: errors.HubbubError) -> Response[Any]:
    metrics.HTTP_REQUESTS.labels(request.method, str(exc.http_status)).inc()
    if exc.http_status >= 500 and not isinstance(exc, errors.Starting):
        # A service's message can name its internals ("internal error: <exception class>",
        # which service is down): kept for the log, not for the client.
        return _server_error(request, exc.http_status, exc.message)
    answer = responses.error(exc.message, exc.http_status, exc.details)
    if exc.http_status == 503:
        answer.headers["Retry-After"] = str(RETRY_AFTER_S)
    return answer


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        return _server_error(request, exc.status_code, str(exc.detail))
    message = _CLIENT_ERRORS.get(exc.status_code) or exc.detail or "Error"
    if exc.status_code == 413 and request.url.path.startswith(_UPLOAD_PATHS):
        message = "Request body is too large"  # a route of its own limit (media uploads)
    if exc.status_code == 413 and request.url.path.startswith(_HOOKS_PATH):
        message = "Request body is too large (at most 16 KB)"
    if exc.status_code == 404:
        message = "Record not found" if request.url.path.startswith("/api/") else "Not found"
    answer = responses.error(message, exc.status_code)
    answer.headers.update(exc.headers or {})  # 405's Allow: the methods the route has
    return answer


_HOOKS_PATH = "/api/hubbub/v1/hooks/"  # the path holds the hook's secret: never logged
_UPLOAD_PATHS = ("/api/v1/media", "/api/v2/media", "/api/v1/accounts/update_credentials")
_CLIENT_ERRORS = {
    413: f"Request body is too large (at most {limits.MAX_BODY_BYTES // 1_000_000} MB)",
}


def _server_away(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """PostgreSQL, Valkey or NATS is away (stopped, restarting, ending our sessions): the
    clients reconnect by themselves, so this is "try again shortly", never a 500."""
    metrics.HTTP_REQUESTS.labels(request.method, "503").inc()
    return _server_error(request, 503, repr(exc))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_server_away(exc):  # e.g. a Valkey node's READONLY/CLUSTERDOWN reply to a lean client
        return _server_away(request, exc)
    return _server_error(request, 500, repr(exc), exc)


def _server_error(request: Request[Any, Any, Any], status: int, detail: str,
                  exc: BaseException | None = None) -> Response[Any]:
    """The client gets the status and a request id; the log gets what went wrong."""
    # The access log's id for this request when it is on (observe.py), so that the line and
    # this answer's X-Request-Id agree.
    request_id = observe.request_id_of(request.scope) or uuid.uuid4().hex[:16]
    path = request.url.path
    if path.startswith(_HOOKS_PATH):
        path = _HOOKS_PATH + "…"
    log.log(logging.ERROR if status == 500 else logging.WARNING, "%s %s failed (%s): %s",
            request.method, path, status, detail, exc_info=exc,
            extra={"request_id": request_id})
    message = "Service unavailable, try again in a moment" if status == 503 else (
        "Internal server error")
    answer = responses.error(message, status)
    answer.headers["X-Request-Id"] = request_id
    if status == 503:
        answer.headers["Retry-After"] = str(RETRY_AFTER_S)
    return answer


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
        route_handlers=[*instance.ROUTES, *instance_extras.ROUTES, *discovery.ROUTES,
                        *oauth.ROUTES, *profiles.ROUTES, *relationships.ROUTES,
                        *account_extras.ROUTES, *accounts.ROUTES,
                        *status_extras.ROUTES, *statuses.ROUTES,
                        *status_actions.ROUTES, *polls.ROUTES, *media.ROUTES,
                        *scheduled_statuses.ROUTES, *timelines.ROUTES,
                        *notification_requests.ROUTES, *notifications.ROUTES,
                        *grouped_notifications.ROUTES, *streaming.ROUTES, *communities.ROUTES,
                        *feeds.ROUTES, *community_integrations.ROUTES,
                        *network.ROUTES, *tags.ROUTES, *trends.ROUTES, *search.ROUTES,
                        *lists.ROUTES, *startup.ROUTES, *authorize.ROUTES, *openapi.ROUTES,
                        *sso.ROUTES, *membership.ROUTES, *membership_pages.ROUTES,
                        *scim_tokens.ROUTES, *scim.ROUTES, *files.ROUTES, *filters.ROUTES,
                        *conversations.ROUTES, *push.ROUTES, *webhooks.ROUTES, *reports.ROUTES,
                        *admin_accounts.ROUTES, *admin_reports.ROUTES, *admin_blocks.ROUTES,
                        *admin_dashboard.ROUTES, *web.ROUTES],
        lifespan=[lifespan],
        guards=[scopes.guard],  # every route's declared OAuth scope (services/gateway/scopes.py)
        exception_handlers={
            errors.HubbubError: _hubbub_error,
            rate_limits.Throttled: rate_limits.refused,
            HTTPException: _http_error,
            **dict.fromkeys(SERVER_AWAY_ERRORS, _server_away),
            Exception: _unexpected,
        },
        # Rate limits count the client address the trusted proxies name (proxies.py).
        middleware=[*proxies.middleware(settings), RequestKeyScope,
                    DefineMiddleware(rate_limits.ApiLimits, gateway=gw)],
        cors_config=CORSConfig(allow_origins=["*"], allow_headers=["*"],
                               expose_headers=["Link"]),
        # Bigger bodies are a 413 before they are read whole (limits.py says why 1 MB).
        request_max_body_size=limits.MAX_BODY_BYTES,
        openapi_config=None,
        logging_config=None,  # shared.logs configured the process
        debug=False,
    )
    scopes.require_declared(app)
    app.state.gateway = gw
    return ExpressLane(app, gw)
