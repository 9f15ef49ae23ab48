"""Mastodon's admin dashboard API for a network (measures, dimensions, retention), for its
owners, admins and moderators (graph checks the role, then posts is asked for the network's
activity); the token needs ``admin:read``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, post

from services.gateway import params, responses
from services.gateway.application import dashboard
from services.gateway.context import Gateway, gateway_of
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.contracts.moderation import NetworkStats, StatsQuery
from shared.records import AccountRecord

ADMIN = "/api/v1/admin"


class RangeParams(params.Params):
    keys: list[str] = []
    start_at: str | None = None
    end_at: str | None = None
    limit: int = 10
    frequency: str = "day"


async def _read(gw: Gateway, me: AccountRecord, start: dt.date, end: dt.date
                ) -> tuple[NetworkStats, posts_api.Activity]:
    stats = await bus.call(gw.nc, graph_api.ADMIN_STATS, StatsQuery(
        account_id=me.id, start=start.isoformat(), end=end.isoformat()))
    activity = await bus.call(gw.nc, posts_api.ADMIN_ACTIVITY, posts_api.ActivityQuery(
        network_id=stats.network_id, start=start.isoformat(), end=end.isoformat()))
    return stats, activity


@post(f"{ADMIN}/measures", status_code=200, opt=needs("admin:read"))
async def measures(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, RangeParams)
    start, end = dashboard.parse_range(p.start_at, p.end_at)
    stats, activity = await _read(gw, me, dashboard.previous(start, end)[0], end)
    return responses.json(dashboard.measures(p.keys, start, end, stats, activity))


@post(f"{ADMIN}/dimensions", status_code=200, opt=needs("admin:read"))
async def dimensions(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, RangeParams)
    start, end = dashboard.parse_range(p.start_at, p.end_at)
    _, activity = await _read(gw, me, start, end)
    return responses.json(dashboard.dimensions(p.keys, activity, max(1, min(p.limit, 100))))


@post(f"{ADMIN}/retention", status_code=200, opt=needs("admin:read"))
async def retention(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, RangeParams)
    if p.frequency not in ("day", "month"):
        raise errors.Invalid("Validation failed: frequency must be day or month")
    start, end = dashboard.parse_range(p.start_at, p.end_at)
    stats, activity = await _read(gw, me, start, end)
    return responses.json(dashboard.retention(start, end, p.frequency, stats, activity))


ROUTES = [measures, dimensions, retention]
