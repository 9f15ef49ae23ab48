"""notify's Web Push subscription verbs: made, read, changed and removed for one access token
(Mastodon's /api/v1/push/subscription, one per token), and removed with a revoked token.

What a subscription names is checked here, where it is kept: the endpoint by the SSRF guard
(https on a public address; shared/endpoint.py), the browser's keys by their form (a P-256 point,
a 16-byte secret), so a bad subscription is a 422 now rather than failed sends later."""

from __future__ import annotations

import asyncpg

from services.notify.push import ece, endpoint
from services.notify.push import store as push_store
from shared import errors
from shared.contracts import notify as api
from shared.ids import new_id
from shared.service_host import ServiceHost
from shared.settings import Settings
from shared.vapid import VapidKeys, unb64url


def _invalid(field: str, problem: str) -> errors.Invalid:
    return errors.Invalid(f"Validation failed: {field} {problem}",
                          {field: [(errors.INVALID, problem)]})


def _key(text: str, field: str, size: int) -> bytes:
    try:
        raw = unb64url(text)
    except ValueError:
        raise _invalid(field, "is not base64url") from None
    if len(raw) != size:
        raise _invalid(field, f"must be {size} bytes")
    if size == ece.P256DH_BYTES:
        try:
            ece.browser_key(raw)
        except ValueError:
            raise _invalid(field, "is not a P-256 public key") from None
    return raw


def enabled(alerts: dict[str, bool]) -> list[str]:
    return [name for name in api.PUSH_ALERTS if alerts.get(name)]


def register(host: ServiceHost, pool: asyncpg.Pool, settings: Settings,
             keys: VapidKeys) -> None:
    async def subscribe(req: api.Subscribe) -> api.PushSubscription:
        p256dh = _key(req.p256dh, "subscription[keys][p256dh]", ece.P256DH_BYTES)
        auth = _key(req.auth, "subscription[keys][auth]", ece.AUTH_BYTES)
        try:
            await endpoint.check(req.endpoint, allow_loopback=settings.push_allow_http_localhost)
        except endpoint.UnsafeUrl as exc:
            raise _invalid("subscription[endpoint]", str(exc)) from None
        async with pool.acquire() as conn:
            found = await push_store.replace(
                conn, id=new_id(), token_id=req.token_id, token_hash=req.token_hash,
                account_id=req.account_id, endpoint=req.endpoint, p256dh=p256dh, auth=auth,
                standard=req.standard, alerts=enabled(req.alerts), policy=req.policy,
                sealed_token=keys.seal(req.access_token.encode()))
        return push_store.public(found)

    async def get(req: api.PushRef) -> api.PushSubscription:
        async with pool.acquire() as conn:
            found = await push_store.of_token(conn, req.token_id, req.account_id)
        if found is None:
            raise errors.NotFound("Record not found")
        return push_store.public(found)

    async def update(req: api.UpdatePush) -> api.PushSubscription:
        async with pool.acquire() as conn, conn.transaction():
            found = await push_store.of_token(conn, req.token_id, req.account_id)
            if found is None:
                raise errors.NotFound("Record not found")
            alerts = {**found.alerts, **{k: v for k, v in req.alerts.items()
                                         if k in api.PUSH_ALERTS}}
            changed = await push_store.update(conn, req.token_id, req.account_id,
                                              alerts=enabled(alerts),
                                              policy=req.policy or found.policy)
        assert changed is not None  # held by the transaction's row
        return push_store.public(changed)

    async def unsubscribe(req: api.PushRef) -> api.Done:
        async with pool.acquire() as conn:
            return api.Done(count=await push_store.delete_of_token(conn, req.token_id,
                                                                   req.account_id))

    async def forget_token(req: api.ForgetToken) -> api.Done:
        async with pool.acquire() as conn:
            return api.Done(count=await push_store.delete_of_token_hash(conn, req.token_hash))

    host.serve(api.PUSH_SUBSCRIBE, subscribe)
    host.serve(api.PUSH_GET, get)
    host.serve(api.PUSH_UPDATE, update)
    host.serve(api.PUSH_UNSUBSCRIBE, unsubscribe)
    host.serve(api.PUSH_FORGET_TOKEN, forget_token)
