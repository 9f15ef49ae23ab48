"""The graph's NATS API for relationships between accounts: follow requests, blocks, mutes."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from shared.bus import ServiceHost


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    pass
