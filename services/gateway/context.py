"""The gateway's connections and helpers, opened in the app's lifespan and kept in app.state."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from typing import Any

import asyncpg
import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from nats.aio.client import Client as NATS

from services.gateway import scopes, tokens
from services.gateway.hydrate import Hydrator
from services.gateway.hydrate.reader_filters import ReaderFilters, stamp_command
from services.gateway.live import LiveHub
from services.gateway.media_urls import SignedMediaUrls
from services.gateway.offboarding import Offboarding
from services.gateway.rate_limits import RateLimits
from services.gateway.streaming.fact_changes import FactChanges
from services.gateway.streaming.frames import Frames
from services.gateway.streaming.limits import ConnectionLimits
from services.gateway.streaming.open_streams import OpenStreams
from services.gateway.streaming.shared_statuses import RenderCache, StatusFetches
from shared import bus as nats_bus
from shared import cache, db, errors, policy, subjects, vapid, viewer_cache, worker_lease
from shared.contracts import graph as graph_api
from shared.contracts import notify as notify_api
from shared.media.storage import MediaStorage, open_storage
from shared.presence import PresenceTracker
from shared.readiness import Readiness, nats_probe, postgres_probe, redis_probe
from shared.records import AccountRecord
from shared.settings import Settings

log = logging.getLogger(__name__)

TOKEN_CACHE_S = 30.0  # how long a gateway trusts a token it checked (revocation evicts at once)


class Gateway:
    """Everything a request handler uses: the connections, the hydrator, the live hub, the token
    cache. Made in two steps: the settings now, the connections in ``start`` (the app's lifespan
    runs it in the background). Handlers reach the gateway through ``gateway_of``, which answers
    503 until ``start`` is done, so every component below is there whenever a handler runs."""

    # Made by start(), in this order, before ``ready``.
    nc: NATS
    pool: asyncpg.Pool
    # The hot reads (timeline pages, hydration, the reader's cached facts) go through the
    # lean client; everything else through redis-py's main one (shared/cache.py).
    redis: cache.RedisClients
    hydrator: Hydrator
    rate_limits: RateLimits
    hub: LiveHub
    fact_changes: FactChanges
    presence: PresenceTracker  # runs from the first streaming connection
    storage: MediaStorage  # uploads go in; rendered statuses sign their files' URLs
    vapid_public_key: str  # Web Push: the instance's VAPID key (base64url)

    def __init__(self, settings: Settings) -> None:
        # Only the gateway's own database role and Valkey user (shared/db_roles.py).
        settings = settings.for_service("gateway")
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        # Streaming's parts, shared by every streaming connection of this process
        # (services/gateway/streaming); fact_changes and presence need the connections.
        self.status_fetches = StatusFetches()
        self.render_cache = RenderCache()
        self.stream_frames = Frames()
        self.stream_limits = ConnectionLimits(
            settings.stream_max_per_token, settings.stream_max_connections,
            per_account=settings.stream_max_per_account, per_ip=settings.stream_max_per_ip)
        self.tokens = tokens.TokenCache(ttl_s=TOKEN_CACHE_S)
        self.open_streams = OpenStreams()  # each ended when its token or account is offboarded
        self.offboarding = Offboarding(self.tokens, self.open_streams)
        self.worker_lease: worker_lease.WorkerLease | None = None  # its ids: apps, tokens
        self.ready = False
        # each server's last probe (/readyz)
        self.readiness = Readiness("gateway", timeout_s=settings.readiness_timeout_s)
        # Set when the NATS connection is closed for good while the gateway runs (server.py
        # then ends the process, for its supervisor to start a fresh one: see _nats_closed).
        self.nats_lost = asyncio.Event()
        self._stopping = False

    async def start(self) -> None:
        log.info("gateway connecting to NATS, Postgres and Redis")
        self.nc = await nats_bus.connect(self.settings, "hubbub-gateway", user="gateway",
                                         closed_cb=self._nats_closed)
        self.readiness.watch("nats", nats_probe(self.nc))
        self.pool = await db.create_pool(self.settings, "gateway")
        self.readiness.watch("postgres", postgres_probe(self.pool))
        await db.prepare_schema(self.settings, self.pool, "gateway")
        self.worker_lease = await worker_lease.hold(self.settings.database_url)
        self.redis = await cache.connect_clients(self.settings)
        self.readiness.watch("valkey", redis_probe(self.redis.main))
        self.storage = open_storage(self.settings)  # connects on first use (S3)
        # What browsers bind Web Push subscriptions to (shared/vapid.py; notify signs).
        self.vapid_public_key = vapid.public_key(self.settings)
        self.hydrator = Hydrator(self.nc, self.redis.lean, self.base_url,
                                 SignedMediaUrls(self.storage))
        self.rate_limits = RateLimits(self.settings, self.redis.lean)
        self.hub = LiveHub(self.nc)
        self.fact_changes = FactChanges(self.nc)  # subscribes with the first streaming session
        self.presence = PresenceTracker(self.redis.main)
        self.hub.on_close(self.presence.stop)
        self.hub.on_close(self.fact_changes.close)
        await self.offboarding.listen(self.nc)  # revocations and graph's membership events
        # Everything loaded so far (modules, the app, its routes) lives as long as the process:
        # out of the collector's way, so its full passes (which paused the gateway for up to
        # seconds with 10,000 connections open) traverse only what came after.
        gc.freeze()
        self.readiness.start()
        self.ready = True
        log.info("gateway ready")

    def _made(self, component: str) -> bool:
        """Whether start() got as far as making ``component`` (it may be cut short: stopped
        while NATS, Postgres or Redis were still coming up)."""
        return component in vars(self)
    async def _nats_closed(self) -> None:
        """The NATS connection is closed and will not come back (nats-py reconnects by itself
        after a network loss; closed means the server ended it for a protocol error, or a
        close from inside the process). Not ready from now on: API calls answer 503 rather
        than 500. The way back is a new process, not a new connection in this one: every part
        of the gateway (the live hub's subscriptions, the hydrator, fact changes, the token
        revocation listener) holds this connection, and the token cache may have missed
        revocations meanwhile; a fresh process starts with none of that."""
        if self._stopping:
            return
        log.error("gateway: the NATS connection is closed for good; stopping so that the "
                  "process is restarted")
        self.ready = False
        self.nats_lost.set()

    async def stop(self) -> None:
        self._stopping = True
        self.ready = False
        await self.readiness.stop()
        if self._made("hub"):
            await self.hub.close()
        if self._made("nc"):
            with contextlib.suppress(Exception):  # TimeoutError included: bounded as services'
                await asyncio.wait_for(self.nc.drain(), 5)
        if self.worker_lease:
            self.worker_lease = None
            await worker_lease.release()
        if self._made("pool"):
            await db.close_pool(self.pool)
        if self._made("redis"):
            await self.redis.aclose()
        if self._made("storage"):
            await self.storage.close()

    def checks(self) -> dict[str, bool]:
        return {"started": self.ready, **self.readiness.checks(),
                "nats": self._made("nc") and self.nc.is_connected,
                "nats_open": not self.nats_lost.is_set(),
                "worker_id": bool(self.worker_lease and self.worker_lease.worker is not None)}

    # --- callers ---------------------------------------------------------------------------

    async def caller(self, connection: ASGIConnection[Any, Any, Any, Any] | None, *,
                     token: str | None = None) -> tokens.Caller | None:
        if not token and connection is not None:
            token = bearer_token(connection)
        if not token:
            return None
        token_hash = tokens.digest(token)
        found = self.tokens.get(token_hash)
        if found is None:
            found = await self._load_caller(token_hash)
        return found

    async def _load_caller(self, token_hash: str) -> tokens.Caller:
        """The one place that decides whether a token's account may act: a live token of an
        account that is there and not deactivated (else 401, on every route that looks at the
        token), with its standing (a sign-up not yet confirmed or approved: scopes.guard
        answers 403 where the route does not serve it). Only members' Callers are cached,
        so the cached fast path is a member's and carries what it needs."""
        found = await tokens.caller_by_digest(self.pool, token_hash)
        if found is None:
            raise errors.Unauthorized(scopes.INVALID_TOKEN)
        standing: tokens.Standing = "member"
        if found.account_id is not None:
            account = await self.hydrator.account(found.account_id)
            if account is None or account.barred:
                raise errors.Unauthorized(scopes.INVALID_TOKEN)
            standing = standing_of(account)
        # After the last await: what was offboarded while this token loaded is not let in
        # (nor cached over its eviction); see offboarding.py.
        if self.offboarding.refuses(token_hash, found.account_id):
            raise errors.Unauthorized(scopes.INVALID_TOKEN)
        if standing != "member":
            return msgspec.structs.replace(found, standing=standing)
        return self.tokens.put(token_hash, found)

    async def forget_token(self, token_hash: str) -> None:
        """A token was revoked: it stops here at once (its streams too), and at the other
        gateways as soon as they hear (their cache entries also expire within TOKEN_CACHE_S)."""
        self.offboarding.token_revoked(token_hash)
        if self._made("nc") and self.nc.is_connected:
            await self.nc.publish(subjects.TOKEN_REVOKED, token_hash.encode())
            # Its Web Push subscription goes with it: no message carries a dead token.
            try:
                await nats_bus.call(self.nc, notify_api.PUSH_FORGET_TOKEN,
                                    notify_api.ForgetToken(token_hash=token_hash))
            except errors.HubbubError as exc:
                log.warning("revoked token's push subscription not deleted: %s", exc)

    async def signed_in(self, request: Request[Any, Any, Any]) -> tokens.Caller:
        """The caller's token, checked: a user's (401/422 as Mastodon). Its scopes were checked
        before the handler ran, against the route's declaration (services/gateway/scopes.py)."""
        return await self.signed_in_with(bearer_token(request))

    async def signed_in_with(self, token: str | None) -> tokens.Caller:
        """``signed_in`` for a bearer token already taken from the request."""
        if not token:
            raise errors.Unauthorized(scopes.MISSING_TOKEN)
        caller = await self.caller(None, token=token)
        if caller is None:
            raise errors.Unauthorized(scopes.INVALID_TOKEN)
        if caller.account_id is None:
            raise errors.Unprocessable("This method requires an authenticated user")
        return caller

    async def user(self, request: Request[Any, Any, Any]
                   ) -> tuple[tokens.Caller, AccountRecord]:
        """The signed-in account, or 401/422 as Mastodon answers."""
        caller = await self.signed_in(request)
        assert caller.account_id is not None  # signed_in checked it
        return caller, active(await self.hydrator.account(caller.account_id))

    async def viewer(self, caller: tokens.Caller | None) -> policy.Viewer:
        """The reader as the visibility policy sees it (anonymous without a user token)."""
        if caller is None or caller.account_id is None:
            return policy.ANONYMOUS
        facts = await nats_bus.call(self.nc, graph_api.VIEWER_FACTS,
                                    graph_api.ViewerFacts(account_id=caller.account_id))
        return facts.viewer()


    async def visible_accounts(self, reader_id: int, ids: list[int]) -> set[int]:
        """The accounts among ``ids`` the reader may see: same network or a shared community."""
        if reader_id in ids and len(ids) == 1:
            return {reader_id}
        reply = await nats_bus.call(self.nc, graph_api.ACCOUNT_VISIBLE,
                                    graph_api.VisibleAccounts(reader_id=reader_id, ids=ids))
        return set(reply.ids)

    async def hidden(self, account_id: int, *, notifications: bool = False,
                     cached: bytes | None = None, read: bool = False) -> set[int]:
        """Accounts the reader muted or blocked, or that block the reader (for notifications:
        only mutes that include notifications). From graph's cache in Redis (``cached``: that
        key's value when the caller already read it; ``read``: the caller read it, and it was
        not there); a miss asks graph, which fills it (shared/viewer_cache)."""
        raw = cached if cached is not None or read else await self.redis.lean.get(
            viewer_cache.hidden_key(account_id))
        if raw is not None:
            found = viewer_cache.decode_hidden(raw)
            return set(found.notification_ids if notifications else found.ids)
        reply = await nats_bus.call(self.nc, graph_api.VIEWER_HIDDEN,
                                    graph_api.ViewerFacts(account_id=account_id))
        return set(reply.notification_ids if notifications else reply.ids)


    async def reader_cache(self, account_id: int, *, notifications: bool = False
                           ) -> tuple[set[int], ReaderFilters | None]:
        """The reader's hidden accounts (``hidden``) and content filters in one round trip
        (graph caches both under the reader's hash tag, one Valkey Cluster slot). A reader
        without filters gets None, at no more cost than the hidden accounts alone
        (hydrate/reader_filters.py)."""
        raw_hidden, [stamp] = await self.redis.lean.execute_many([
            ("GET", viewer_cache.hidden_key(account_id)), stamp_command(account_id)])
        hidden = await self.hidden(account_id, notifications=notifications, cached=raw_hidden,
                                   read=True)
        return hidden, await self.hydrator.filters.of(account_id, stamp)


def standing_of(account: AccountRecord) -> tokens.Standing:
    """A sign-up's place on its way to membership (Mastodon's order: confirmed, then
    approved)."""
    if not account.confirmed:
        return "unconfirmed"
    if not account.approved:
        return "pending"
    return "member"


def active(account: AccountRecord | None) -> AccountRecord:
    """The signed-in account, unless it is gone or deactivated: its tokens stop working at
    once, because the record says so."""
    if account is None or account.barred:
        raise errors.Unauthorized(scopes.INVALID_TOKEN)
    return account


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return bearer_of(connection.headers.get("authorization", ""))


def bearer_of(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header's value, or None."""
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def gateway_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Gateway:
    """The gateway's connections, or 503 while they are still being made."""
    gw: Gateway = connection.app.state.gateway
    if not gw.ready:
        raise errors.Starting("Hubbub is starting; try again in a moment")
    return gw
