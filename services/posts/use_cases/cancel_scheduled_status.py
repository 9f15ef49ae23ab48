"""CancelScheduledStatus: the author drops a scheduled status before it is posted. Someone
else's, or one published meanwhile, is not found."""

from __future__ import annotations

import asyncpg

from services.posts import store
from shared import errors
from shared.contracts.posts import ScheduledStatusAction, ScheduledStatusRecord


class CancelScheduledStatus:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: ScheduledStatusAction) -> ScheduledStatusRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            current = await store.scheduled_status(conn, req.scheduled_status_id)
            if current is None or current.account_id != req.account_id:
                raise errors.NotFound("Record not found")
            # A publisher holding the row makes this wait; then there is nothing to delete.
            if not await store.delete_scheduled(conn, current.id):
                raise errors.NotFound("Record not found")
        return current
