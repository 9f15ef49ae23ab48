"""Scheduled statuses (Mastodon's /api/v1/scheduled_statuses): the author's own list, one of
them, a new time, a cancellation. They are made by ``POST /api/v1/statuses`` with
``scheduled_at``. Someone else's is not found (404), as on Mastodon."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, put
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application import scheduled_statuses as scheduled
from services.gateway.context import gateway_of
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import posts as posts_api
from shared.ids import parse_id

READ = needs("read:statuses")
WRITE = needs("write:statuses")


class ListParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 20


class RescheduleParams(params.Params):
    scheduled_at: str | None = None


def _id_or_404(raw: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.NotFound("Record not found")
    return parsed


async def _action(request: Request[Any, Any, Any], raw_id: str
                  ) -> posts_api.ScheduledStatusAction:
    _, me = await gateway_of(request).user(request)
    return posts_api.ScheduledStatusAction(account_id=me.id, scheduled_status_id=_id_or_404(raw_id))


@get("/api/v1/scheduled_statuses", opt=READ)
async def list_scheduled(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, ListParams, body=False)
    page = posts_api.Page(max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                          min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 40)))
    found = await bus.call(gw.nc, posts_api.SCHEDULED_STATUS_LIST,
                           posts_api.AccountPage(account_id=me.id, page=page))
    shaped = await scheduled.shaped(gw, found.items)
    return responses.json(shaped, headers=responses.link_header(request, gw.base_url, shaped))


@get("/api/v1/scheduled_statuses/{scheduled_id:str}", opt=READ)
async def get_scheduled(request: Request[Any, Any, Any], scheduled_id: FromPath[str]
                        ) -> Response[Any]:
    gw = gateway_of(request)
    found = await bus.call(gw.nc, posts_api.SCHEDULED_STATUS_GET,
                           await _action(request, scheduled_id))
    return responses.json(await scheduled.one(gw, found))


@put("/api/v1/scheduled_statuses/{scheduled_id:str}", opt=WRITE)
async def reschedule(request: Request[Any, Any, Any], scheduled_id: FromPath[str]
                     ) -> Response[Any]:
    gw = gateway_of(request)
    action = await _action(request, scheduled_id)
    p = await params.read(request, RescheduleParams)
    if not p.scheduled_at:  # nothing to change: the scheduled status as it is
        found = await bus.call(gw.nc, posts_api.SCHEDULED_STATUS_GET, action)
    else:
        found = await bus.call(gw.nc, posts_api.SCHEDULED_STATUS_UPDATE, posts_api.RescheduleStatus(
            account_id=action.account_id, scheduled_status_id=action.scheduled_status_id,
            scheduled_at=params.moment_ms(p.scheduled_at, "scheduled_at")))
    return responses.json(await scheduled.one(gw, found))


@delete("/api/v1/scheduled_statuses/{scheduled_id:str}", status_code=200, opt=WRITE)
async def cancel(request: Request[Any, Any, Any], scheduled_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    await bus.call(gw.nc, posts_api.SCHEDULED_STATUS_CANCEL, await _action(request, scheduled_id))
    return responses.json({})


ROUTES = [list_scheduled, get_scheduled, reschedule, cancel]
