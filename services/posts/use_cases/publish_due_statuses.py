"""PublishDueStatuses: post each scheduled status once its time has come, exactly once, whatever
the number of posts replicas and whenever one of them dies.

How: one status per transaction. The transaction claims the row (``FOR UPDATE SKIP LOCKED``: a
row another replica holds is skipped, not waited for), posts it through PostStatus's own steps
on the same connection (status, poll, tags, outbox event: so fanout, notifications and every
other consumer see an ordinary post), and deletes the row; then commits. A replica that dies
before the commit leaves neither the status nor the event, and the row is unlocked for the next
round. The status's idempotency key is the scheduled status's id besides, so a publication that
somehow committed while its row survived is found, not posted twice.

What was checked at scheduling time is checked again (PostStatus.prepare): the world moves.
A status that the checks now refuse (its author deactivated, the status it replies to deleted,
a community left) is dropped, as Mastodon drops it. A failure that may pass (a service not
answering) leaves the row for a later round, waiting longer each time (``store.postpone``), so
that one status that keeps failing cannot hold up the others.

The status is created at publication: its id and ``created_at`` are of that moment, as on
Mastodon."""

from __future__ import annotations

import logging

import asyncpg
import msgspec
from nats.aio.client import Client as NATS

from services.posts import store
from services.posts.use_cases.post_status import PostStatus, Written
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts.posts import ScheduledStatusRecord
from shared.periodic import Every
from shared.records import AccountRecord

log = logging.getLogger(__name__)

# What the checks refuse for the input's (or the world's) sake: publishing again would only
# be refused again. Anything else (Unavailable: a service away) may pass.
REFUSALS = (errors.Invalid, errors.Unprocessable, errors.Forbidden, errors.NotFound,
            errors.TooLarge)
ROUND = 100  # statuses per round at most: the next round takes the rest
RETRY_MAX_S = 300.0


def idempotency_key(scheduled_id: int) -> str:
    """Apart from clients' keys, which the gateway scopes as ``<app id>:<key>``."""
    return f"scheduled:{scheduled_id}"


class PublishDueStatuses:
    def __init__(self, pool: asyncpg.Pool, nc: NATS, post: PostStatus, interval_s: float
                 ) -> None:
        self.pool = pool
        self.nc = nc
        self.post = post
        self._every = Every(interval_s, self.publish_due, "publish-scheduled")

    async def start(self) -> None:
        await self._every.start()

    async def stop(self) -> None:
        await self._every.stop()

    async def publish_due(self) -> int:
        """One round: the statuses due now, each in its own transaction; how many were posted."""
        posted = 0
        for _ in range(ROUND):
            outcome = await self.publish_next()
            if outcome is None:
                break
            posted += outcome
        return posted

    async def publish_next(self) -> bool | None:
        """The status due longest, if any is not held by another publisher: None when none is,
        else whether it was posted (False: dropped, or left for a later round)."""
        claimed: ScheduledStatusRecord | None = None
        async with self.pool.acquire() as conn:
            try:
                async with conn.transaction():
                    claimed = await store.claim_due(conn)
                    if claimed is None:
                        return None
                    try:
                        async with conn.transaction():  # a savepoint: a refusal keeps the claim
                            written = await self.publish(conn, claimed)
                    except REFUSALS as refusal:
                        log.warning("scheduled status %d of account %d dropped: %s", claimed.id,
                                    claimed.account_id, refusal)
                        written = None
                    await store.delete_scheduled(conn, claimed.id)
            except Exception as exc:
                if claimed is None:
                    raise
                log.warning("scheduled status %d not posted yet (%r): trying again later",
                            claimed.id, exc)
                await store.postpone(conn, claimed.id, RETRY_MAX_S)
                return False
        if written is None:
            return False
        await self.post.announce(written)
        return True

    async def publish(self, conn: asyncpg.Connection, claimed: ScheduledStatusRecord
                      ) -> Written | None:
        """Post ``claimed`` on ``conn`` (the claiming transaction) through PostStatus's steps;
        None when it was posted already."""
        req = msgspec.structs.replace(claimed.status, idempotency_key=idempotency_key(claimed.id))
        if await store.status_id_by_idempotency_key(conn, req.account_id, req.idempotency_key):
            return None
        author = await self._ensure_author_active(req.account_id)
        # As the author stands now, not when it was scheduled.
        req = msgspec.structs.replace(req, author_silenced=author.silenced,
                                      author_sensitized=author.sensitized)
        draft = await self.post.prepare(req)
        return await self.post.write(conn, draft)

    async def _ensure_author_active(self, account_id: int) -> AccountRecord:
        reply = await bus.call(self.nc, graph_api.ACCOUNT_GET,
                               graph_api.GetAccounts(ids=[account_id]))
        for account in reply.accounts:
            # Suspended or disabled by a moderator: locked out, as deactivated.
            if account.id == account_id and not account.barred:
                return account
        raise errors.NotFound("the author's account is gone, deactivated or suspended")
