"""UploadMedia (``media.create``): the row of a file the gateway has stored as uploaded, in
``processing``, with the ``MediaUploaded`` event that sends it to the media worker, in one
transaction. The gateway made the id (the storage key names it), so a retried call finds the
row it wrote the first time instead of writing a second one."""

from __future__ import annotations

import asyncpg

from services.posts.store import media as media_store
from services.posts.use_cases.attach_media import check_description, check_focus
from shared import errors, events
from shared.contracts.posts import CreateMedia, MediaInfo


class UploadMedia:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: CreateMedia) -> MediaInfo:
        check_description(req.description)
        check_focus(req.focus)
        event = events.MediaUploaded(media_id=req.media_id, account_id=req.account_id,
                                     purpose=req.purpose)
        async with self.pool.acquire() as conn:
            try:
                row = await media_store.insert_media(conn, req, event)
            except asyncpg.UniqueViolationError:
                row = await media_store.media_row(conn, req.media_id)
                if row is None or row["account_id"] != req.account_id:
                    raise errors.Conflict("This media id is taken") from None
        return media_store.info_from_row(row)
