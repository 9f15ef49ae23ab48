"""Web Push subscriptions (Mastodon's /api/v1/push/subscription): one per access token, kept by
notify (services/notify/push/), which sends the messages. Scope ``push``.

``subscription[standard]`` is kept and shown, but every message is sent in the standard
``aes128gcm`` coding (RFC 8291) whatever it says: browsers have decrypted it since 2017, and
the legacy ``aesgcm`` draft coding is not implemented."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post, put

from services.gateway import params, responses
from services.gateway.context import bearer_token, gateway_of
from services.gateway.presenters.push import subscription_json
from services.gateway.scopes import needs
from services.gateway.tokens import digest
from shared import bus
from shared.contracts import notify as notify_api


class Keys(msgspec.Struct, frozen=True, kw_only=True):
    p256dh: str
    auth: str


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    endpoint: str
    keys: Keys
    standard: bool = True


class Data(msgspec.Struct, frozen=True, kw_only=True):
    alerts: dict[str, bool] = {}
    policy: notify_api.PushPolicy | None = None


class CreateParams(params.Params):
    subscription: Subscription
    data: Data = msgspec.field(default_factory=Data)
    policy: notify_api.PushPolicy | None = None  # some clients (masto.js) send it here


class UpdateParams(params.Params):
    data: Data = msgspec.field(default_factory=Data)
    policy: notify_api.PushPolicy | None = None  # also accepted at the top level, as Mastodon


def _alerts(data: Data) -> dict[str, bool]:
    return {name: on for name, on in data.alerts.items() if name in notify_api.PUSH_ALERTS}


@post("/api/v1/push/subscription", opt=needs("push"), status_code=200)
async def create(request: Request[Any, Any, Any]) -> Response[Any]:
    """Subscribe this token, replacing its subscription if it had one."""
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    p = await params.read(request, CreateParams)
    token = bearer_token(request)
    assert token is not None  # gw.user checked it
    found = await bus.call(gw.nc, notify_api.PUSH_SUBSCRIBE, notify_api.Subscribe(
        token_id=caller.token_id, token_hash=digest(token), account_id=me.id,
        access_token=token, endpoint=p.subscription.endpoint, p256dh=p.subscription.keys.p256dh,
        auth=p.subscription.keys.auth, standard=p.subscription.standard,
        alerts=_alerts(p.data), policy=p.data.policy or p.policy or "all"))
    return responses.json(subscription_json(found, gw.vapid_public_key))


@get("/api/v1/push/subscription", opt=needs("push"))
async def show(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    found = await bus.call(gw.nc, notify_api.PUSH_GET,
                           notify_api.PushRef(token_id=caller.token_id, account_id=me.id))
    return responses.json(subscription_json(found, gw.vapid_public_key))


@put("/api/v1/push/subscription", opt=needs("push"))
async def update(request: Request[Any, Any, Any]) -> Response[Any]:
    """Change the alerts named and the policy; the endpoint and keys stay."""
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    p = await params.read(request, UpdateParams)
    found = await bus.call(gw.nc, notify_api.PUSH_UPDATE, notify_api.UpdatePush(
        token_id=caller.token_id, account_id=me.id, alerts=_alerts(p.data),
        policy=p.data.policy or p.policy))
    return responses.json(subscription_json(found, gw.vapid_public_key))


@delete("/api/v1/push/subscription", opt=needs("push"), status_code=200)
async def remove(request: Request[Any, Any, Any]) -> Response[Any]:
    """``{}`` whether or not there was one, as Mastodon answers."""
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    await bus.call(gw.nc, notify_api.PUSH_UNSUBSCRIBE,
                   notify_api.PushRef(token_id=caller.token_id, account_id=me.id))
    return responses.json({})


ROUTES = [create, show, update, remove]
