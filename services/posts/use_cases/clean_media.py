"""CleanMedia: the periodic chore that deletes what nobody will attach or see.

- Uploads not attached within ``HUBBUB_MEDIA_ORPHAN_HOURS`` (24 by default, as Mastodon keeps
  unattached media a day): never attached, or detached by an edit or by their status's deletion
  (kept that long for delete-and-redraft, as Mastodon keeps them), and refused profile pictures.
- Rows still ``processing`` long after their upload (their event ran out of deliveries while
  storage was away): failed, so that ``GET /api/v1/media/:id`` tells the uploader.

Rows go with a ``MediaDeleted`` event in one transaction; the media worker deletes the files.
Every replica runs the chore; each takes its rows ``FOR UPDATE SKIP LOCKED``, so two replicas
never clean the same row and neither waits for the other (the row lock is the lease).
"""

from __future__ import annotations

import asyncpg

from services.posts.store import media as media_store
from services.posts.use_cases.delete_media import delete_media_rows
from shared.periodic import Every

BATCH = 200
STUCK_S = 3600.0
STUCK = "Processing did not finish; upload the file again"


class CleanMedia:
    def __init__(self, pool: asyncpg.Pool, *, orphan_hours: float = 24.0,
                 interval_s: float = 600.0) -> None:
        self.pool = pool
        self.orphan_s = orphan_hours * 3600.0
        self._every = Every(interval_s, self.clean, "clean-media")

    async def start(self) -> None:
        await self._every.start()

    async def stop(self) -> None:
        await self._every.stop()

    async def clean(self) -> int:
        """One pass; how many rows it deleted or failed."""
        done = 0
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                ids = await media_store.orphans(conn, self.orphan_s, BATCH)
                if ids:
                    await delete_media_rows(conn, ids)
                for row in await media_store.stuck(conn, max(STUCK_S, 0.0), BATCH):
                    await media_store.mark_failed(conn, row["id"], row["revision"], STUCK)
                    done += 1
            done += len(ids)
            if len(ids) < BATCH:
                return done
