"""DeleteMedia (``media.delete``): the uploader deletes a file no status holds (Mastodon refuses
an attached one: the status's edit removes it). The row goes with a ``MediaDeleted`` event in
one transaction; the media worker deletes the files."""

from __future__ import annotations

import asyncpg

from services.posts.store import media as media_store
from shared import errors, events, outbox
from shared.contracts.posts import MediaInfo, MediaRef

IN_USE = "Validation failed: Cannot delete media attachment that is currently used by a status"


class DeleteMedia:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: MediaRef) -> MediaInfo:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await media_store.media_row(conn, req.media_id, lock=True)
            if (row is None or row["account_id"] != req.account_id
                    or row["purpose"] != "attachment"):
                raise errors.NotFound("Record not found")
            if row["status_id"] is not None:
                raise errors.Invalid(IN_USE)
            await delete_media_rows(conn, [req.media_id])
        return media_store.info_from_row(row)


async def delete_media_rows(conn: asyncpg.Connection, ids: list[int]) -> None:
    """Delete the rows and promise their files' deletion (in the caller's transaction)."""
    keys = await media_store.delete_rows(conn, ids)
    await outbox.add(conn, "posts", events.MediaDeleted(media_ids=tuple(ids), keys=tuple(keys)))
