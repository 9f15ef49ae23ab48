"""A process's stop is bounded: a PostgreSQL connection that is never given back (a task stuck
on a lock, a handler left hanging) does not hold the pool's close, and so the stop, forever."""

from __future__ import annotations

import asyncio
import time

from shared import db
from shared.settings import Settings


async def test_a_connection_never_given_back_does_not_hold_the_close(settings: Settings
                                                                     ) -> None:
    pool = await db.create_pool(settings, "posts", max_size=2)
    held = await pool.acquire()  # never released, as by a task that hangs
    started = time.monotonic()
    await asyncio.wait_for(db.close_pool(pool, timeout=0.5), 10)
    assert time.monotonic() - started < 5
    assert pool._closed  # closed by force, its connections terminated
    del held


async def test_a_pool_with_nothing_in_use_closes_gracefully(settings: Settings) -> None:
    pool = await db.create_pool(settings, "posts", max_size=2)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT 1") == 1
    await db.close_pool(pool, timeout=5)
    assert pool._closed
