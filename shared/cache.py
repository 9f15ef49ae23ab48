"""Redis (Valkey) clients. Redis is a read model and cache: every key can be rebuilt from
Postgres, so losing it costs latency, never data.

Every service holds its clients as one ``RedisClients`` (``self.redis``; the gateway's
``gw.redis``), with the same names everywhere: ``main`` for most commands, ``writer`` for
fanout's bulk script calls, ``lean`` for the hot paths' few small commands."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass

import redis.asyncio as redis
from redis.commands.core import AsyncScript

from shared.compat.redis_py import writer_client
from shared.fastredis import FastRedis
from shared.settings import Settings

log = logging.getLogger(__name__)


MAX_CONNECTIONS = 64

_scripts: weakref.WeakKeyDictionary[redis.Redis, dict[str, AsyncScript]] = \
    weakref.WeakKeyDictionary()


def script(r: redis.Redis, text: str) -> AsyncScript:
    """A Lua script registered once per client (EVALSHA, loaded again if Redis forgot it)."""
    registered = _scripts.setdefault(r, {})
    found = registered.get(text)
    if found is None:
        found = registered[text] = r.register_script(text)
    return found


def client(settings: Settings, *, blocking: bool = False) -> redis.Redis:
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
        except (redis.ConnectionError, OSError) as exc:
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
    lean: FastRedis

    async def aclose(self) -> None:
        await self.main.aclose()
        await self.writer.aclose()
        await self.lean.aclose()


async def connect_clients(settings: Settings, *, attempts: int | None = None) -> RedisClients:
    """The process's clients, once ``main`` has answered PING (``connect``)."""
    main = await connect(settings, attempts=attempts)
    return RedisClients(main=main, writer=writer_client(settings.redis_url),
                        lean=FastRedis(settings.redis_url))
