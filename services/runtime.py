"""What every non-gateway service process does around its own handlers: connect (with backoff,
reporting not-ready meanwhile), migrate its schema (or wait until someone has), serve /healthz
/readyz /metrics, and stop cleanly on SIGTERM/SIGINT (stop taking work, finish what is in
flight, close connections)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Protocol

import asyncpg
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from shared import bus, cache, db, worker_lease
from shared.metrics import HealthServer
from shared.readiness import (
    NatsConnectionLost,
    Readiness,
    nats_probe,
    postgres_probe,
    redis_probe,
)
from shared.settings import Settings

log = logging.getLogger(__name__)


class Stoppable(Protocol):
    """What a service keeps to stop at shutdown: a relay, a consumer, a request host, a chore."""

    async def stop(self) -> None: ...


class BaseService:
    name = "base"
    schema: str | None = None  # the Postgres schema it owns, if any
    uses_redis = True

    def __init__(self, settings: Settings) -> None:
        # Only this service's own database role and Valkey user (shared/db_roles.py).
        settings = settings.for_service(self.name)
        self.settings = settings
        self.nc: NATS | None = None
        self.js: JetStreamContext | None = None
        self.pool: asyncpg.Pool | None = None
        # Reads that can stand a standby's lag (shared/db.py's create_read_pool); the primary's
        # pool when no standby is configured.
        self.read_pool: asyncpg.Pool | None = None
        self.redis: cache.RedisClients | None = None
        self.worker_lease: worker_lease.WorkerLease | None = None
        self.health = HealthServer(settings.host, settings.port(self.name), self.checks)
        self.ready = False
        # Each server's last probe (shared/readiness.py); and whether the NATS connection was
        # closed for good, which ends the process (run_until_signalled).
        self.readiness = Readiness(self.name, timeout_s=settings.readiness_timeout_s)
        self.nats_lost = asyncio.Event()
        self._stopping = False
        self._stoppables: list[Stoppable] = []
        self._standby_pool: asyncpg.Pool | None = None

    def checks(self) -> dict[str, bool]:
        result = {"started": self.ready, **self.readiness.checks()}
        result["nats"] = bool(self.nc and self.nc.is_connected)  # the client's state, now
        result["nats_open"] = not self.nats_lost.is_set()
        if self.schema:
            result["worker_id"] = bool(self.worker_lease and self.worker_lease.worker is not None)
        return result

    async def start(self, *, health: bool = True) -> None:
        if health:
            port = await self.health.start()
            log.info("%s health on http://%s:%d", self.name, self.settings.host, port)
        self.nc = await bus.connect(self.settings, f"hubbub-{self.name}", user=self.name,
                                    closed_cb=self._nats_closed)
        self.readiness.watch("nats", nats_probe(self.nc))
        self.js = self.nc.jetstream()
        await bus.ensure_stream(self.js, self.settings)
        if self.schema:
            self.pool = await db.create_pool(self.settings, self.schema)
            self.readiness.watch("postgres", postgres_probe(self.pool))
            await db.prepare_schema(self.settings, self.pool, self.schema)
            self._standby_pool = await db.create_read_pool(self.settings, self.schema)
            self.read_pool = self._standby_pool or self.pool
            # The service that owns rows makes their ids: under a worker id no other live
            # process holds (shared/worker_lease.py), or not at all.
            self.worker_lease = await worker_lease.hold(self.settings.database_url)
        if self.uses_redis:
            self.redis = await cache.connect_clients(self.settings)
            self.readiness.watch("valkey", redis_probe(self.redis.main))
        await self.setup()
        self.readiness.start()
        self.ready = True
        log.info("%s ready", self.name)

    async def setup(self) -> None:
        """Register request handlers, consumers and background tasks (``self.keep`` them)."""

    def keep(self, stoppable: Stoppable) -> None:
        """Remember something with an async ``stop()`` to call at shutdown, in reverse order."""
        self._stoppables.append(stoppable)

    async def _nats_closed(self) -> None:
        """Closed for good, not by our own stop: nats-py will not reconnect, and every consumer
        and request handler of this process holds this connection. A new process is the way
        back (run_until_signalled ends this one with NatsConnectionLost)."""
        if self._stopping:
            return
        log.error("%s: the NATS connection is closed for good; stopping so that the process "
                  "is restarted", self.name)
        self.ready = False
        self.nats_lost.set()

    async def stop(self) -> None:
        self._stopping = True
        self.ready = False
        await self.readiness.stop()
        for item in reversed(self._stoppables):
            try:
                await item.stop()
            except Exception:
                log.exception("stopping %r", item)
        self._stoppables.clear()
        if self.nc:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.drain(), 5)
        if self.worker_lease:
            self.worker_lease = None
            await worker_lease.release()
        if self._standby_pool:
            await db.close_pool(self._standby_pool)
        if self.pool:
            await db.close_pool(self.pool)
        if self.redis:
            await self.redis.aclose()
        await self.health.stop()

    async def run_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        stopping = asyncio.create_task(stop.wait())
        lost = asyncio.create_task(self.nats_lost.wait())
        starting = asyncio.create_task(self.start())
        done, _ = await asyncio.wait({starting, stopping, lost},
                                     return_when=asyncio.FIRST_COMPLETED)
        if starting in done:
            starting.result()  # a startup error ends the process with its traceback
            await asyncio.wait({stopping, lost}, return_when=asyncio.FIRST_COMPLETED)
        else:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await starting
        stopping.cancel()
        lost.cancel()
        log.info("%s stopping", self.name)
        await self.stop()
        if self.nats_lost.is_set():
            raise NatsConnectionLost(f"{self.name}'s NATS connection closed; a new process "
                                     "makes a new one")
