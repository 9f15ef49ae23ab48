"""UpdateMedia (``media.update``): the uploader changes a file's description or focus point,
or gives it a new thumbnail (processed again). An attached file's change is its status's: the
status's version is bumped in the same transaction, so that every cache of it takes the new
description."""

from __future__ import annotations

import asyncpg

from services.posts import status_cache, store
from services.posts.store import media as media_store
from services.posts.use_cases.attach_media import check_description, check_focus
from shared import errors, events, outbox
from shared.cache import CacheClient
from shared.contracts.posts import MediaInfo
from shared.contracts.posts import UpdateMedia as Request


class UpdateMedia:
    def __init__(self, pool: asyncpg.Pool, cache: CacheClient) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: Request) -> MediaInfo:
        check_description(req.description)
        check_focus(req.focus)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await media_store.media_row(conn, req.media_id, lock=True)
            if row is None or row["account_id"] != req.account_id:
                raise errors.NotFound("Record not found")
            row = await media_store.describe(conn, req.media_id, description=req.description,
                                             focus=req.focus)
            assert row is not None  # locked above
            if req.thumbnail_key is not None:
                row = await media_store.reprocess(conn, req.media_id, req.thumbnail_key)
                assert row is not None
                await outbox.add(conn, "posts", events.MediaUploaded(
                    media_id=row["id"], account_id=row["account_id"], purpose=row["purpose"],
                    revision=row["revision"]))
                if row["old_thumbnail_key"] and row["old_thumbnail_key"] != req.thumbnail_key:
                    await outbox.add(conn, "posts", events.MediaDeleted(
                        media_ids=(), keys=(row["old_thumbnail_key"],)))
            if row["status_id"] is not None:
                await store.bump_version(conn, row["status_id"])
        if row["status_id"] is not None:
            await status_cache.refresh(self.cache, self.pool, row["status_id"])
        return media_store.info_from_row(row)
