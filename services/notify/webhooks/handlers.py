"""notify's webhook verbs: made, listed, read, changed, removed, their secret rotated, pinged,
their deliveries listed and replayed. The gateway has checked who may act on which webhook
(services/gateway/application/webhooks.py); what a webhook names is checked here, where it is
kept: the URL by the SSRF guard (target.py), the events against WEBHOOK_EVENTS."""

from __future__ import annotations

import time

import asyncpg

from services.notify.webhooks import signing, target
from services.notify.webhooks import store as hook_store
from services.notify.webhooks.render import body
from services.notify.webhooks.sender import WebhookSender
from shared import errors, member_index
from shared.contracts import notify as api
from shared.contracts import webhooks as wh
from shared.ids import new_id
from shared.service_host import ServiceHost
from shared.settings import Settings
from shared.vapid import VapidKeys

MAX_GRACE_S = 7 * 86400  # how long a rotated-out secret may go on signing


def _invalid(field: str, problem: str) -> errors.Invalid:
    return errors.Invalid(f"Validation failed: {field} {problem}",
                          {field: [(errors.INVALID, problem)]})


def _events(names: list[str], community_id: int | None) -> list[str]:
    if not names:
        raise _invalid("events", "must name at least one event")
    allowed = wh.WEBHOOK_EVENTS if community_id is None else tuple(
        e for e in wh.WEBHOOK_EVENTS if e not in wh.NETWORK_ONLY_EVENTS)
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise _invalid("events", f"has unknown event types: {', '.join(sorted(set(unknown)))[:200]}"
                       f" (known: {', '.join(allowed)})")
    return sorted(set(names), key=wh.WEBHOOK_EVENTS.index)


async def keep_hooked_index(pool: asyncpg.Pool, cache: member_index.Commands) -> int | None:
    """Fill the index of the places webhooks listen when it is not complete
    (shared/member_index.py); how many it added (None: it was)."""
    return await member_index.keep(cache, member_index.HOOKED, pool, hook_store.scopes)


def register(host: ServiceHost, pool: asyncpg.Pool, settings: Settings, keys: VapidKeys,
             sender: WebhookSender, cache: member_index.Commands) -> None:
    guard = target.guard(settings)

    async def checked_url(url: str) -> str:
        url = url.strip()
        try:
            await target.check(url, guard)
        except target.UnsafeUrl as exc:
            raise _invalid("url", str(exc)) from None
        return url

    async def found(webhook_id: int) -> hook_store.Stored:
        async with pool.acquire() as conn:
            hook = await hook_store.get(conn, webhook_id)
        if hook is None:
            raise errors.NotFound("Record not found")
        return hook

    async def create(req: wh.CreateWebhook) -> wh.WebhookRecord:
        names = _events(req.events, req.community_id)
        url = await checked_url(req.url)
        secret = signing.new_secret()
        # Where it listens, into the index posts reads (shared/member_index.py): before the
        # insert commits and again after.
        scope = [member_index.hook_scope(req.network_id, req.community_id)]
        async with member_index.noting(cache, member_index.HOOKED, scope), \
                pool.acquire() as conn:
            made = await hook_store.insert(
                conn, id=new_id(), network_id=req.network_id, community_id=req.community_id,
                created_by=req.created_by, url=url, events=names,
                sealed_secret=keys.seal(secret.encode()))
        return hook_store.public(made, secret)

    async def listed(req: wh.ListWebhooks) -> wh.Webhooks:
        async with pool.acquire() as conn:
            hooks = await hook_store.listed(conn, req.network_id, req.community_ids)
        return wh.Webhooks(webhooks=[hook_store.public(h) for h in hooks])

    async def get(req: wh.WebhookRef) -> wh.WebhookRecord:
        return hook_store.public(await found(req.webhook_id))

    async def update(req: wh.UpdateWebhook) -> wh.WebhookRecord:
        hook = await found(req.webhook_id)
        names = _events(req.events, hook.community_id) if req.events is not None else None
        url = await checked_url(req.url) if req.url is not None else None
        async with pool.acquire() as conn:
            changed = await hook_store.update(conn, req.webhook_id, url=url, events=names,
                                              enabled=req.enabled)
        if changed is None:
            raise errors.NotFound("Record not found")
        return hook_store.public(changed)

    async def delete(req: wh.WebhookRef) -> wh.Removed:
        async with pool.acquire() as conn:
            return wh.Removed(count=await hook_store.delete(conn, req.webhook_id))

    async def rotate(req: wh.RotateSecret) -> wh.WebhookRecord:
        if not 0 <= req.keep_previous_s <= MAX_GRACE_S:
            raise _invalid("keep_previous_seconds", f"must be between 0 and {MAX_GRACE_S}")
        secret = signing.new_secret()
        async with pool.acquire() as conn:
            changed = await hook_store.rotate(conn, req.webhook_id,
                                              sealed_secret=keys.seal(secret.encode()),
                                              keep_previous_s=req.keep_previous_s)
        if changed is None:
            raise errors.NotFound("Record not found")
        return hook_store.public(changed, secret)

    async def ping(req: wh.WebhookRef) -> wh.DeliveryRecord:
        hook = await found(req.webhook_id)
        event_id = new_id()
        data = {"webhook_id": str(hook.id), "url": hook.url}
        async with pool.acquire() as conn:
            delivery_id = await hook_store.record(
                conn, id=new_id(), webhook_id=hook.id, event_id=event_id, type_=wh.PING,
                body=body(wh.PING, _now_ms(), data),
                window_s=settings.webhook_retry_window_s, due_in_s=sender.lease_s)
        assert delivery_id is not None  # a new event id
        sent = await sender.send_now(hook.id, delivery_id)
        assert sent is not None
        return sent

    async def deliveries(req: wh.DeliveriesPage) -> wh.Deliveries:
        await found(req.webhook_id)
        async with pool.acquire() as conn:
            page = await hook_store.page(conn, req.webhook_id, state=req.state,
                                         max_id=req.max_id, since_id=req.since_id,
                                         min_id=req.min_id, limit=max(1, min(req.limit, 80)))
        return wh.Deliveries(deliveries=page)

    async def replay(req: wh.DeliveryRef) -> wh.DeliveryRecord:
        await found(req.webhook_id)
        async with pool.acquire() as conn:
            if not await hook_store.replay(conn, req.webhook_id, req.delivery_id,
                                           settings.webhook_retry_window_s, sender.lease_s):
                raise errors.NotFound("Record not found")
        sent = await sender.send_now(req.webhook_id, req.delivery_id)
        if sent is None:
            raise errors.NotFound("Record not found")
        return sent

    host.serve(api.WEBHOOK_CREATE, create)
    host.serve(api.WEBHOOK_LIST, listed)
    host.serve(api.WEBHOOK_GET, get)
    host.serve(api.WEBHOOK_UPDATE, update)
    host.serve(api.WEBHOOK_DELETE, delete)
    host.serve(api.WEBHOOK_ROTATE, rotate)
    host.serve(api.WEBHOOK_PING, ping)
    host.serve(api.WEBHOOK_DELIVERIES, deliveries)
    host.serve(api.WEBHOOK_REPLAY, replay)


def _now_ms() -> int:
    return int(time.time() * 1000)
