"""ScheduleStatus: a status to post later. Everything a post would be refused for is refused
now (PostStatus.prepare, the same checks), so that publication cannot fail for the input's sake;
the time must be 5 minutes to 2 years ahead, and an account holds at most 300 scheduled
statuses, 25 of them on any one day (Mastodon's limits, counted by the day they will be posted,
in UTC). A retried request with the same Idempotency-Key answers with the first one."""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg

from services.posts import store
from services.posts.use_cases.post_status import PostStatus
from shared import errors
from shared.contracts.posts import ScheduledStatusRecord
from shared.contracts.posts import ScheduleStatus as Request
from shared.ids import new_id

MIN_AHEAD_MS = 5 * 60 * 1000
MAX_AHEAD_MS = 2 * 365 * 86_400 * 1000
MAX_PER_ACCOUNT = 300
MAX_PER_DAY = 25
DAY_MS = 86_400 * 1000


def check_time(scheduled_at_ms: int, now_ms: int) -> None:
    if scheduled_at_ms < now_ms + MIN_AHEAD_MS:
        raise errors.Invalid("Validation failed: scheduled_at must be at least 5 minutes in the "
                             "future", {"scheduled_at": [(errors.INVALID, "is too soon")]})
    if scheduled_at_ms > now_ms + MAX_AHEAD_MS:
        raise errors.Invalid("Validation failed: scheduled_at must be at most 2 years in the "
                             "future", {"scheduled_at": [(errors.INVALID, "is too far")]})


async def check_day_limit(conn: asyncpg.Connection, account_id: int, scheduled_at_ms: int, *,
                          other_than: int | None = None) -> None:
    """At most MAX_PER_DAY on the (UTC) day of ``scheduled_at_ms``; the caller holds
    ``store.lock_schedule``."""
    start = scheduled_at_ms - scheduled_at_ms % DAY_MS
    if await store.scheduled_count_between(conn, account_id, start, start + DAY_MS,
                                           other_than=other_than) >= MAX_PER_DAY:
        raise errors.Invalid(f"Validation failed: You have exceeded the limit of {MAX_PER_DAY} "
                             "scheduled posts for that day")


class ScheduleStatus:
    def __init__(self, pool: asyncpg.Pool, post: PostStatus,
                 clock: Callable[[], float] = time.time) -> None:
        self.pool = pool
        self.post = post
        self.clock = clock

    async def __call__(self, req: Request) -> ScheduledStatusRecord:
        status = req.status
        key = status.idempotency_key
        if key:
            async with self.pool.acquire() as conn:
                existing = await store.scheduled_by_idempotency_key(conn, status.account_id, key)
            if existing is not None:
                return existing
        check_time(req.scheduled_at, int(self.clock() * 1000))
        await self.post.prepare(status)  # what a post would be refused for, refused now
        async with self.pool.acquire() as conn, conn.transaction():
            await store.lock_schedule(conn, status.account_id)
            if key:  # the same key's first request may have committed while we checked
                existing = await store.scheduled_by_idempotency_key(conn, status.account_id,
                                                                    key)
                if existing is not None:
                    return existing
            if await store.scheduled_count(conn, status.account_id) >= MAX_PER_ACCOUNT:
                raise errors.Invalid("Validation failed: You have exceeded the limit of "
                                     f"{MAX_PER_ACCOUNT} scheduled posts")
            await check_day_limit(conn, status.account_id, req.scheduled_at)
            return await store.insert_scheduled(
                conn, scheduled_id=new_id(), account_id=status.account_id,
                scheduled_at_ms=req.scheduled_at, status=status,
                application_id=req.application_id, idempotency_key=key,
                idempotency=req.idempotency)
