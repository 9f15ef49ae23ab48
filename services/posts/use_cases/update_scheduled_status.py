"""UpdateScheduledStatus: the author moves a scheduled status to another time, under the rules
it was scheduled by (5 minutes to 2 years ahead, 25 on that day). Only the time changes, as on
Mastodon. Someone else's, or one published meanwhile, is not found."""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg

from services.posts import store
from services.posts.use_cases.schedule_status import check_day_limit, check_time
from shared import errors
from shared.contracts.posts import RescheduleStatus, ScheduledStatusRecord


class UpdateScheduledStatus:
    def __init__(self, pool: asyncpg.Pool, clock: Callable[[], float] = time.time) -> None:
        self.pool = pool
        self.clock = clock

    async def __call__(self, req: RescheduleStatus) -> ScheduledStatusRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            await store.lock_schedule(conn, req.account_id)
            current = await store.scheduled_status(conn, req.scheduled_status_id)
            if current is None or current.account_id != req.account_id:
                raise errors.NotFound("Record not found")
            check_time(req.scheduled_at, int(self.clock() * 1000))
            await check_day_limit(conn, req.account_id, req.scheduled_at,
                                  other_than=current.id)
            # A publisher holding the row makes this wait; then the row is gone: not found.
            updated = await store.reschedule(conn, current.id, req.scheduled_at)
        if updated is None:
            raise errors.NotFound("Record not found")
        return updated
