"""Outgoing webhooks (Hubbub's API, /api/hubbub/v1/webhooks): a network's or a community's
admins subscribe a URL to events, read the delivery log, and replay dead letters. notify keeps
and sends them (services/notify/webhooks/); who may act on which is checked first
(application/webhooks.py). Scopes: admin:read to read, admin:write to change, on top of the
role: a token with plain ``write`` administers nothing, as on the network's admin routes."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch, post, put
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application import webhooks as access
from services.gateway.context import gateway_of
from services.gateway.presenters.webhooks import delivery_json, webhook_json
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import notify as notify_api
from shared.contracts import webhooks as wh
from shared.ids import parse_id

PREFIX = "/api/hubbub/v1/webhooks"
READ, WRITE = needs("admin:read"), needs("admin:write")
SLACK_S = 5.0  # a ping or replay waits for its attempt (webhook_timeout_s) and then some


class CreateParams(params.Params):
    url: str
    events: list[str]
    community_id: str | None = None


class UpdateParams(params.Params):
    url: str | None = None
    events: list[str] | None = None
    enabled: bool | None = None


class ListParams(params.Params):
    community_id: str | None = None


class RotateParams(params.Params):
    keep_previous_seconds: int = 0


class PageParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 20
    state: wh.DeliveryState | None = None


def _community(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.Invalid("Validation failed: community_id is not an id",
                             {"community_id": [(errors.INVALID, "is not an id")]})
    return parsed


@post(PREFIX, opt=WRITE, status_code=200)
async def create(request: Request[Any, Any, Any]) -> Response[Any]:
    """Subscribe a URL; the answer holds the signing ``secret``, shown this once."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, CreateParams)
    network_id, community_id = await access.scope_for_new(gw, me, _community(p.community_id))
    made = await bus.call(gw.nc, notify_api.WEBHOOK_CREATE, wh.CreateWebhook(
        network_id=network_id, community_id=community_id, created_by=me.id, url=p.url,
        events=p.events))
    return responses.json(webhook_json(made))


@get(PREFIX, opt=READ)
async def index(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, ListParams, body=False)
    found = await access.listed(gw, me, _community(p.community_id))
    return responses.json([webhook_json(h) for h in found])


@get(f"{PREFIX}/{{webhook_id:str}}", opt=READ)
async def show(request: Request[Any, Any, Any], webhook_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    return responses.json(webhook_json(await access.managed(gw, me, parse_id(webhook_id))))


async def _update(request: Request[Any, Any, Any], webhook_id: str) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    hook = await access.managed(gw, me, parse_id(webhook_id))
    p = await params.read(request, UpdateParams)
    changed = await bus.call(gw.nc, notify_api.WEBHOOK_UPDATE, wh.UpdateWebhook(
        webhook_id=hook.id, url=p.url, events=p.events, enabled=p.enabled))
    return responses.json(webhook_json(changed))


@put(f"{PREFIX}/{{webhook_id:str}}", opt=WRITE)
async def replace(request: Request[Any, Any, Any], webhook_id: FromPath[str]) -> Response[Any]:
    return await _update(request, webhook_id)


@patch(f"{PREFIX}/{{webhook_id:str}}", opt=WRITE)
async def update(request: Request[Any, Any, Any], webhook_id: FromPath[str]) -> Response[Any]:
    """Change the URL, the events or ``enabled`` (the named ones only)."""
    return await _update(request, webhook_id)


@delete(f"{PREFIX}/{{webhook_id:str}}", opt=WRITE, status_code=200)
async def remove(request: Request[Any, Any, Any], webhook_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    hook = await access.managed(gw, me, parse_id(webhook_id))
    await bus.call(gw.nc, notify_api.WEBHOOK_DELETE, wh.WebhookRef(webhook_id=hook.id))
    return responses.json({})


@post(f"{PREFIX}/{{webhook_id:str}}/rotate", opt=WRITE, status_code=200)
async def rotate(request: Request[Any, Any, Any], webhook_id: FromPath[str]) -> Response[Any]:
    """A new secret, shown this once; ``keep_previous_seconds``: the old one signs beside it
    for that long (two signatures in ``webhook-signature``)."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    hook = await access.managed(gw, me, parse_id(webhook_id))
    p = await params.read(request, RotateParams)
    changed = await bus.call(gw.nc, notify_api.WEBHOOK_ROTATE, wh.RotateSecret(
        webhook_id=hook.id, keep_previous_s=p.keep_previous_seconds))
    return responses.json(webhook_json(changed))


@post(f"{PREFIX}/{{webhook_id:str}}/ping", opt=WRITE, status_code=200)
async def ping(request: Request[Any, Any, Any], webhook_id: FromPath[str]) -> Response[Any]:
    """Send a ``ping`` event now; the answer is its delivery, with this first attempt."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    hook = await access.managed(gw, me, parse_id(webhook_id))
    sent = await bus.call(gw.nc, notify_api.WEBHOOK_PING, wh.WebhookRef(webhook_id=hook.id),
                          timeout=gw.settings.webhook_timeout_s + SLACK_S)
    return responses.json(delivery_json(sent))


async def _page(request: Request[Any, Any, Any], webhook_id: str,
                state: wh.DeliveryState | None) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    hook = await access.managed(gw, me, parse_id(webhook_id))
    p = await params.read(request, PageParams, body=False)
    found = await bus.call(gw.nc, notify_api.WEBHOOK_DELIVERIES, wh.DeliveriesPage(
        webhook_id=hook.id, state=state or p.state, max_id=parse_id(p.max_id),
        since_id=parse_id(p.since_id), min_id=parse_id(p.min_id),
        limit=max(1, min(p.limit, 80))))
    shaped = [delivery_json(d) for d in found.deliveries]
    return responses.json(shaped, headers=responses.link_header(request, gw.base_url, shaped))


@get(f"{PREFIX}/{{webhook_id:str}}/deliveries", opt=READ)
async def deliveries(request: Request[Any, Any, Any], webhook_id: FromPath[str]
                     ) -> Response[Any]:
    """The delivery log, newest first, each with its latest attempts (``state`` filters)."""
    return await _page(request, webhook_id, None)


@get(f"{PREFIX}/{{webhook_id:str}}/dead_letters", opt=READ)
async def dead_letters(request: Request[Any, Any, Any], webhook_id: FromPath[str]
                       ) -> Response[Any]:
    return await _page(request, webhook_id, "dead")


@post(f"{PREFIX}/{{webhook_id:str}}/deliveries/{{delivery_id:str}}/replay", opt=WRITE,
      status_code=200)
async def replay(request: Request[Any, Any, Any], webhook_id: FromPath[str],
                 delivery_id: FromPath[str]) -> Response[Any]:
    """Send a delivery again now, with the same ``webhook-id`` (a dead letter, typically); a
    failure goes on being retried over a new window."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    hook = await access.managed(gw, me, parse_id(webhook_id))
    target = parse_id(delivery_id)
    if target is None:
        raise errors.NotFound("Record not found")
    sent = await bus.call(gw.nc, notify_api.WEBHOOK_REPLAY,
                          wh.DeliveryRef(webhook_id=hook.id, delivery_id=target),
                          timeout=gw.settings.webhook_timeout_s + SLACK_S)
    return responses.json(delivery_json(sent))


ROUTES = [create, index, show, replace, update, remove, rotate, ping, deliveries, dead_letters,
          replay]
