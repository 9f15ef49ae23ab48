"""Redis (Valkey) clients. Redis is a read model and cache: every key can be rebuilt from
Postgres, so losing it costs latency, never data.

Every service holds its clients as one ``RedisClients`` (``self.redis``; the gateway's
``gw.redis``), with the same names everywhere: ``main`` for most commands, ``writer`` for
fanout's bulk script calls, ``lean`` for the hot paths' few small commands.

On a Valkey/Redis Cluster (``HUBBUB_REDIS_CLUSTER``): ``main`` and ``writer`` are redis-py's
cluster client (``HubbubCluster``: MGET of many slots allowed, one per slot), ``lean`` routes by
slot (shared/fastredis_cluster.py); a script whose keys span users is called once per slot
(``by_slot``: fanout's timeline writes, the status and account caches). Off (the default), the
clients are the single-node ones, unchanged. Measured (micro, loaded 2-core box): an MGET of 40
accounts in 40 slots took ~0.25-0.35 ms on the lean cluster client against ~0.05 ms on one node
(redis-py's cluster client: ~0.8 ms); a GET ~0.05 ms both."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.crc import key_slot
from redis.exceptions import RedisClusterException

from shared.compat.redis_py import WRITER_CONNECTIONS, writer_client
from shared.fastredis import FastRedis, LeanScript
from shared.fastredis_cluster import ClusterFastRedis
from shared.settings import Settings

log = logging.getLogger(__name__)


MAX_CONNECTIONS = 64

# A client the caches' helpers take (shared/viewer_cache.py, services/posts/status_cache.py):
# redis-py's, or the lean one where a service's write path calls them (each redis-py command
# cost ~0.2 ms of Python, and a favourite made five).
CacheClient = redis.Redis | FastRedis

_scripts: weakref.WeakKeyDictionary[CacheClient, dict[str, AsyncScript | LeanScript]] = \
    weakref.WeakKeyDictionary()


def script(r: CacheClient, text: str) -> AsyncScript | LeanScript:
    """A Lua script registered once per client (EVALSHA, loaded again if Redis forgot it)."""
    registered = _scripts.setdefault(r, {})
    found = registered.get(text)
    if found is None:
        # (the lean client on a cluster routes EVALSHA by its first key, as fanout's calls do)
        found = registered[text] = (LeanScript(r, text) if isinstance(r, (FastRedis,
                                                                           ClusterFastRedis))
                                    else r.register_script(text))
    return found


class HubbubCluster(RedisCluster):
    """redis-py's cluster client, with ``mget`` of keys in many slots allowed (one MGET per
    slot, replies in order): the callers' multi-key reads (account generations, a feed's
    generation and body) work unchanged. The rest routes by key as redis-py does."""

    async def mget(self, keys: Any, *args: Any) -> Any:
        return await self.mget_nonatomic(keys, *args)


def is_cluster(r: object) -> bool:
    """Whether ``r`` (redis-py or the lean client) talks to a cluster: callers of scripts of
    many keys then split their keys per slot (``by_slot``)."""
    return isinstance(r, (RedisCluster, ClusterFastRedis))


def by_slot(keys: list[str]) -> list[list[int]]:
    """The positions of ``keys`` grouped by hash slot (first appearance order)."""
    groups: dict[int, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key_slot(key.encode()), []).append(index)
    return list(groups.values())


def cluster_client(settings: Settings, *, blocking: bool = False,
                   max_connections: int = MAX_CONNECTIONS,
                   socket_timeout: float = 5.0) -> redis.Redis:
    # (typed as redis.Redis: RedisCluster offers the same commands to every caller here)
    found = HubbubCluster.from_url(
        settings.redis_url, max_connections=max_connections, decode_responses=False,
        socket_timeout=None if blocking else socket_timeout, health_check_interval=30)
    return found  # type: ignore[return-value]


def client(settings: Settings, *, blocking: bool = False) -> redis.Redis:
    if settings.redis_cluster:
        return cluster_client(settings, blocking=blocking)
    # A bounded pool that makes callers wait for a free connection: bursts (a post reaching
    # many streaming clients at once) queue briefly instead of failing with "too many
    # connections". redis-py 8 has a 5 s socket timeout by default; a blocking reader needs
    # none at all.
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=MAX_CONNECTIONS,
        timeout=10,
        decode_responses=False,
        socket_timeout=None if blocking else 5.0,
        health_check_interval=30,
    )
    return redis.Redis(connection_pool=pool)


async def connect(settings: Settings, *, attempts: int | None = None) -> redis.Redis:
    """A client that has answered PING once; retries with backoff while Redis comes up."""
    delay = 0.2
    attempt = 0
    r = client(settings)
    while True:
        attempt += 1
        try:
            await r.ping()
            return r
        except (redis.ConnectionError, RedisClusterException, OSError) as exc:
            if attempts is not None and attempt >= attempts:
                await r.aclose()
                raise
            log.warning("redis not reachable (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


@dataclass(frozen=True)
class RedisClients:
    """A process's Redis clients, opened together (``connect_clients``) and closed together.

    - ``main``: redis-py, for every command without a reason to go elsewhere (a bounded pool
      that waits for a free connection, 5 s socket timeout: ``client``).
    - ``writer``: redis-py packing in C with a pool of its own, for fanout's bulk timeline
      writes: script calls of thousands of keys (shared/compat/redis_py.py).
    - ``lean``: one pipelined connection (shared/fastredis.py) for the hot paths' few small
      commands: the gateway's home reads and hydration, fanout's per-event checks and script
      calls, where redis-py's ~0.2 ms of Python per command was most of the cost.

    ``writer`` and ``lean`` connect on their first command: a service that never uses them
    opens no connection for them."""

    main: redis.Redis
    writer: redis.Redis
    lean: FastRedis  # (or ClusterFastRedis, the same interface, with HUBBUB_REDIS_CLUSTER)

    async def aclose(self) -> None:
        await self.main.aclose()
        await self.writer.aclose()
        await self.lean.aclose()


async def connect_clients(settings: Settings, *, attempts: int | None = None) -> RedisClients:
    """The process's clients, once ``main`` has answered PING (``connect``)."""
    main = await connect(settings, attempts=attempts)
    if settings.redis_cluster:
        # writer: fanout's script calls of thousands of keys (30 s, as writer_client's)
        writer = cluster_client(settings, max_connections=WRITER_CONNECTIONS,
                                socket_timeout=30.0)
        return RedisClients(main=main, writer=writer, lean=lean_client(settings))
    return RedisClients(main=main, writer=writer_client(settings.redis_url),
                        lean=lean_client(settings))


def lean_client(settings: Settings) -> FastRedis:
    """The lean client (shared/fastredis.py), routed by slot on a cluster (typed as FastRedis:
    ClusterFastRedis offers the same methods)."""
    if settings.redis_cluster:
        return ClusterFastRedis(settings.redis_url)  # type: ignore[return-value]
    return FastRedis(settings.redis_url)
