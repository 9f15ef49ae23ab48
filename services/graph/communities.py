"""The graph's NATS API for communities and their members."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from shared.bus import ServiceHost


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    pass
