"""Redis (Valkey) clients. Redis is a read model and cache: every key can be rebuilt from
Postgres, so losing it costs latency, never data."""

from __future__ import annotations

import asyncio
import logging
import weakref

import redis.asyncio as redis

from shared.settings import Settings

log = logging.getLogger(__name__)


MAX_CONNECTIONS = 64

_scripts: weakref.WeakKeyDictionary[redis.Redis, dict[str, object]] = \
    weakref.WeakKeyDictionary()


def script(r: redis.Redis, text: str):
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
