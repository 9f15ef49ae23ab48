"""Whether a process can serve now, dependency by dependency, and what a server being away
looks like as an exception.

Every process probes its NATS, PostgreSQL and Valkey connections every second (``SELECT 1``
through the pool, PING, the NATS client's state) and keeps the verdicts; ``/readyz`` answers
from them, so a flood of probes costs the servers nothing. None of this reconnects anything:
asyncpg's pool opens new connections on acquire, redis-py and FastRedis on the next command,
nats-py by itself. It only says, meanwhile, that this process is not ready (a load balancer
sends its traffic elsewhere) and turns a server's absence into a 503, never a 500.

A NATS connection closed for good is different: nats-py does not come back from that, so the
process ends (``NatsConnectionLost``) and its supervisor starts a fresh one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg
import nats.errors
import nats.js.errors
import redis.asyncio
import redis.exceptions
from nats.aio.client import Client as NATS
from prometheus_client import Gauge

from shared.cancel import raise_if_cancelled

log = logging.getLogger(__name__)

PROBE_EVERY_S = 1.0
PROBE_TIMEOUT_S = 1.0
RETRY_AFTER_S = 2  # what a 503 caused by an absent server tells the client to wait

DEPENDENCY_UP = Gauge(
    "hubbub_dependency_up", "1 while the process's last probe of a server succeeded",
    ["process", "dependency"],
)

# What the client libraries raise while a server is away (stopped, restarting, unreachable, or
# ending our sessions): a 503 at the gateway, a typed ``unavailable`` reply from a service.
SERVER_AWAY_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # refused, reset, unreachable; TimeoutError (nats.errors.TimeoutError too)
    asyncpg.PostgresConnectionError,  # ConnectionDoesNotExistError: closed mid-query
    asyncpg.exceptions.OperatorInterventionError,  # terminated session, server starting/stopping
    asyncpg.InterfaceError,  # "connection is closed"
    # Mid-failover: no listed host is the primary yet (target_session_attrs=read-write), or a
    # session still on a server that has become a standby; a server out of connection slots
    # (replicas restarting together reconnect at once).
    asyncpg.exceptions.TargetServerAttributeNotMatched,
    asyncpg.ReadOnlySQLTransactionError,
    asyncpg.TooManyConnectionsError,
    redis.exceptions.ConnectionError,  # BusyLoadingError too: a server loading its data
    redis.exceptions.TimeoutError,
    # A Valkey/Redis Cluster failing over: slots without a primary (CLUSTERDOWN, MASTERDOWN),
    # a multi-key command during a slot's move (TRYAGAIN), a write reaching a node that has
    # become a replica (READONLY), no node reachable to learn the slots from.
    redis.exceptions.ClusterError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.RedisClusterException,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.NoServersError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.errors.NoRespondersError,
    # JetStream electing a stream's leader after a node loss (its API answers 503), or a
    # publish no stream server acknowledged.
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.NoStreamResponseError,
)


# The same conditions as a lean client (shared/fastredis.py) reports them: an error reply is a
# plain ResponseError there, whose first word says what it is.
AWAY_REPLIES = frozenset({"LOADING", "READONLY", "CLUSTERDOWN", "MASTERDOWN", "TRYAGAIN",
                          "MOVED", "ASK"})


# asyncpg's words for a protocol left mid-operation by a connection that broke.
STATE_SWITCH_ERROR = "cannot switch to state"


def is_server_away(exc: BaseException) -> bool:
    """Whether ``exc`` says a server is away for now (try again shortly), not that something
    is wrong with the request or the code."""
    if isinstance(exc, SERVER_AWAY_ERRORS):
        return True
    if isinstance(exc, asyncpg.InternalClientError):
        # A pooled connection whose server died under it (kill -9 of the primary) can fail
        # its next use in asyncpg's protocol state machine instead of with a connection
        # error (MagicStack/asyncpg#1069); any other internal error stays a 500.
        return STATE_SWITCH_ERROR in str(exc)
    return (isinstance(exc, redis.exceptions.ResponseError)
            and str(exc).split(" ", 1)[0] in AWAY_REPLIES)


class NatsConnectionLost(RuntimeError):
    """The process's NATS connection closed for good: the process ends with it, not 0, so that
    its supervisor (``hubbub up``, Kubernetes, compose) starts a fresh one."""


Probe = Callable[[], Awaitable[bool | None]]  # None: no verdict this time, keep the last one


class Readiness:
    """The cached verdict of each dependency's probe, refreshed every ``every_s``."""

    def __init__(self, process: str, *, every_s: float = PROBE_EVERY_S,
                 timeout_s: float = PROBE_TIMEOUT_S) -> None:
        self.process = process
        self.every_s = every_s
        self.timeout_s = timeout_s
        self._probes: dict[str, Probe] = {}
        self._up: dict[str, bool] = {}
        self._task: asyncio.Task[None] | None = None

    def watch(self, dependency: str, probe: Probe) -> None:
        """Probe ``dependency`` from now on; it counts as up since the caller just reached it."""
        self._probes[dependency] = probe
        self._set(dependency, True)

    def checks(self) -> dict[str, bool]:
        return dict(self._up)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"readiness:{self.process}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def probe_all(self) -> None:
        for dependency, probe in list(self._probes.items()):
            try:
                verdict = await asyncio.wait_for(probe(), self.timeout_s)
            except Exception as exc:  # any failure to answer is "not there"
                raise_if_cancelled(exc)
                verdict = False
            if verdict is not None:
                self._set(dependency, verdict)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            await self.probe_all()

    def _set(self, dependency: str, up: bool) -> None:
        if self._up.get(dependency) != up and dependency in self._up:
            (log.info if up else log.warning)("%s: %s is %s", self.process, dependency,
                                              "back" if up else "unreachable")
        self._up[dependency] = up
        DEPENDENCY_UP.labels(self.process, dependency).set(1 if up else 0)


def nats_probe(nc: NATS) -> Probe:
    async def probe() -> bool:
        return bool(nc.is_connected)
    return probe


def postgres_probe(pool: asyncpg.Pool) -> Probe:
    async def probe() -> bool | None:
        if pool.get_idle_size() == 0 and pool.get_size() >= pool.get_max_size():
            # Every connection busy: waiting for one would measure the load, not the server
            # (and a real outage fails those connections soon enough).
            return None
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
        return True
    return probe


def redis_probe(client: redis.asyncio.Redis) -> Probe:
    async def probe() -> bool:
        await client.ping()
        return True
    return probe
