"""Notifications, as the notify service keeps them, rendered with their accounts and statuses."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.notifications import NotificationParams, render
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import notify as notify_api
from shared.ids import parse_id


@get("/api/v1/notifications", opt=needs("read:notifications"))
async def list_notifications(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, NotificationParams, body=False)
    reply = await bus.call(gw.nc, notify_api.NOTIFICATION_LIST, notify_api.ListNotifications(
        account_id=me.id, max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
        min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 80)), types=p.types,
        exclude_types=p.exclude_types, from_account_id=parse_id(p.account_id),
        include_filtered=p.include_filtered,
    ))
    hidden, filters = await gw.reader_cache(me.id, notifications=True)
    records = [n for n in reply.notifications if n.from_account_id not in hidden]
    shaped = await render(gw, records, me.id, filters)
    notes = reply.notifications
    headers = (responses.cursor_link_header(request, gw.base_url, notes[0].id, notes[-1].id)
               if notes else {})
    return responses.json(shaped, headers=headers)


@get("/api/v1/notifications/{notification_id:str}", opt=needs("read:notifications"))
async def get_notification(request: Request[Any, Any, Any],
                           notification_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    parsed = parse_id(notification_id)
    if parsed is None:
        raise errors.NotFound("Record not found")
    record = await bus.call(gw.nc, notify_api.NOTIFICATION_GET,
                            notify_api.GetNotification(account_id=me.id, id=parsed))
    shaped = await render(gw, [record])
    if not shaped:
        raise errors.NotFound("Record not found")
    return responses.json(shaped[0])


@post("/api/v1/notifications/{notification_id:str}/dismiss", opt=needs("write:notifications"))
async def dismiss(request: Request[Any, Any, Any], notification_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    parsed = parse_id(notification_id)
    if parsed is None:
        raise errors.NotFound("Record not found")
    await bus.call(gw.nc, notify_api.NOTIFICATION_DISMISS,
                   notify_api.Dismiss(account_id=me.id, id=parsed))
    return responses.json({})


@post("/api/v1/notifications/clear", opt=needs("write:notifications"))
async def clear(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    await bus.call(gw.nc, notify_api.NOTIFICATION_DISMISS,
                   notify_api.Dismiss(account_id=me.id))
    return responses.json({})


class UnreadParams(params.Params):
    limit: int = 100
    types: list[str] = []
    exclude_types: list[str] = []
    account_id: str | None = None


@get("/api/v1/notifications/unread_count", opt=needs("read:notifications"))
async def unread_count(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, UnreadParams, body=False)
    done = await bus.call(gw.nc, notify_api.NOTIFICATION_UNREAD_COUNT,
                          notify_api.UnreadCount(account_id=me.id, limit=p.limit,
                                                 types=p.types,
                                                 exclude_types=p.exclude_types,
                                                 from_account_id=parse_id(p.account_id)))
    return responses.json({"count": done.count})


class GetMarkerParams(params.Params):
    timeline: list[str] = []


class MarkerPosition(params.Params):
    last_read_id: str


class SetMarkerParams(params.Params):
    home: MarkerPosition | None = None
    notifications: MarkerPosition | None = None


def _markers_json(markers: notify_api.Markers) -> dict[str, Any]:
    return {m.timeline: {"last_read_id": str(m.last_read_id), "version": m.version,
                         "updated_at": mastodon.iso(m.updated_at)} for m in markers.markers}


@get("/api/v1/markers", opt=needs("read:statuses"))
async def get_markers(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, GetMarkerParams, body=False)
    timelines = [t for t in p.timeline if t in ("home", "notifications")]
    markers = await bus.call(gw.nc, notify_api.MARKERS_GET,
                             notify_api.GetMarkers(account_id=me.id, timelines=timelines))
    return responses.json(_markers_json(markers))


@post("/api/v1/markers", opt=needs("write:statuses"))
async def set_markers(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, SetMarkerParams)
    positions = {}
    for timeline, position in (("home", p.home), ("notifications", p.notifications)):
        if position is not None:
            parsed = parse_id(position.last_read_id)
            if parsed is None:
                raise errors.Invalid(f"Validation failed: {timeline}[last_read_id] is not an id")
            positions[timeline] = parsed
    if not positions:
        raise errors.Invalid("Validation failed: give home[last_read_id] or "
                             "notifications[last_read_id]")
    markers = await bus.call(gw.nc, notify_api.MARKERS_SET,
                             notify_api.SetMarkers(account_id=me.id, positions=positions))
    return responses.json(_markers_json(markers))


ROUTES = [unread_count, list_notifications, get_notification, dismiss, clear, get_markers,
          set_markers]
