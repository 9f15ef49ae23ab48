"""DeleteStatus: the author removes a status; its reblogs go with it. Returns the status with
its source text and attachments, so that clients can offer delete-and-redraft: the attachments
are detached in the same transaction and wait for a new status (the orphan chore deletes them
after HUBBUB_MEDIA_ORPHAN_HOURS), or are deleted at once with ``delete_media``."""

from __future__ import annotations

import asyncpg

from services.posts import status_cache, store
from services.posts.store import media as media_store
from services.posts.use_cases.delete_media import delete_media_rows
from shared import errors, events, outbox, viewer_cache
from shared.cache import CacheClient
from shared.contracts.posts import DeleteStatus as Request
from shared.records import StatusRecord


class DeleteStatus:
    def __init__(self, pool: asyncpg.Pool, cache: CacheClient) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: Request) -> StatusRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            status = await store.status(conn, req.status_id)
            if status is None:
                raise errors.NotFound("Record not found")
            if status.account_id != req.account_id:
                raise errors.Forbidden("This action is not allowed")
            gone = await self._soft_delete(conn, status)
            if gone and status.media:
                detached = await media_store.detach(conn, status.id)
                if req.delete_media and detached:
                    await delete_media_rows(conn, detached)
            reblogs = await store.live_reblogs(conn, status.id)
            for reblog in reblogs:
                reblog_status = await store.status(conn, reblog["id"])
                if reblog_status is not None:
                    gone.extend(await self._soft_delete(conn, reblog_status))
        await status_cache.refresh(self.cache, self.pool, *gone)
        if status.reblog_of_id is not None:  # deleting a reblog undoes it
            await viewer_cache.forget_flags(self.cache, status.account_id, status.reblog_of_id)
        return status

    async def _soft_delete(self, conn: asyncpg.Connection, status: StatusRecord) -> list[int]:
        if not await store.soft_delete(conn, status.id):
            return []
        changed = [status.id]
        if status.in_reply_to_id is not None:
            await store.uncount_reply(conn, status.in_reply_to_id)
            changed.append(status.in_reply_to_id)
        await store.unpin_everywhere(conn, status.id)
        if status.reblog_of_id is not None:
            # Deleting a reblog is undoing it: the same event as unreblog, so timelines and the
            # reblog notification follow.
            original = await store.status(conn, status.reblog_of_id)
            await store.uncount_reblog(conn, status.reblog_of_id)
            changed.append(status.reblog_of_id)
            await outbox.add(conn, "posts", events.ReblogRemoved(
                reblog_id=status.id, status_id=status.reblog_of_id,
                status_account_id=original.account_id if original else 0,
                account_id=status.account_id))
            return changed
        await outbox.add(conn, "posts", events.StatusDeleted(
            status_id=status.id, account_id=status.account_id, network_id=status.network_id,
            visibility=status.visibility, mentions=status.mentions,
            reblog_of_id=status.reblog_of_id, tags=status.tags,
            community_id=status.community_id))
        return changed
