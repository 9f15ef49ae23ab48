"""EditStatus: the author changes text, warning, poll or attachments (and their descriptions);
history keeps every version of the text."""

from __future__ import annotations

import asyncpg
from nats.aio.client import Client as NATS

from services.posts import status_cache, store
from services.posts.store import media as media_store
from services.posts.use_cases import attach_media
from services.posts.use_cases.compose import Composed, compose, validate_poll
from shared import errors, events, outbox
from shared.cache import CacheClient
from shared.contracts.posts import EditStatus as Request
from shared.ids import new_id
from shared.records import StatusRecord
from shared.settings import Settings


class EditStatus:
    def __init__(self, pool: asyncpg.Pool, cache: CacheClient, nc: NATS, settings: Settings
                 ) -> None:
        self.pool = pool
        self.cache = cache
        self.nc = nc
        self.settings = settings

    async def __call__(self, req: Request) -> StatusRecord:
        async with self.pool.acquire() as conn:
            current = await store.status(conn, req.status_id)
        if current is None:
            raise errors.NotFound("Record not found")
        if current.account_id != req.account_id:
            raise errors.Forbidden("This action is not allowed")
        if current.reblog_of_id is not None:
            raise errors.Invalid("Validation failed: a reblog cannot be edited")
        options = validate_poll(req.poll) if req.poll else None
        has_poll = options is not None or current.poll is not None
        # None: the attachments stay; a list: exactly those, in that order.
        media_ids = (attach_media.requested(req.media_ids, has_poll=has_poll)
                     if req.media_ids is not None else [m.id for m in current.media])
        composed = await compose(self.nc, self.settings, req.text, req.spoiler_text,
                                 req.account_id, has_more=has_poll or bool(media_ids))
        added = tuple(i for i in composed.mention_ids if i not in current.mentions)
        event = events.StatusUpdated(status_id=current.id, account_id=current.account_id,
                                     visibility=current.visibility,
                                     mentions=composed.mention_ids, added_mentions=added,
                                     network_id=current.network_id,
                                     community_id=current.community_id,
                                     tags=tuple(dict.fromkeys((*current.tags, *composed.tags))))
        cached_early = False
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                updated = await self._apply(conn, req, current, composed, options, media_ids,
                                            event)
                # Cached before the commit: the event can be relayed the moment the commit
                # lands, and a stream that renders the edit (status.update) reads this cache;
                # after the commit it could still find the old version there.
                cached_early = True
                await status_cache.put(self.cache, [updated])
        except BaseException:
            if cached_early:  # not committed after all: the cache must not keep the edit
                await status_cache.forget(self.cache, current.id)
            raise
        await status_cache.refresh(self.cache, self.pool, updated.id)
        return updated

    async def _apply(self, conn: asyncpg.Connection, req: Request, current: StatusRecord,
                     composed: Composed, options: list[str] | None, media_ids: list[int],
                     event: events.StatusUpdated) -> StatusRecord:
        """The edit's writes, in the caller's transaction; the status as it now reads."""
        row = await store.lock_for_edit(conn, current.id)
        if row is None:
            raise errors.NotFound("Record not found")
        if req.media_ids is not None:
            await attach_media.lock_attachable(conn, media_ids, req.account_id, current.id)
            await media_store.attach(conn, current.id, media_ids)
        if req.media_attributes:
            await attach_media.apply_attributes(conn, req.media_attributes, media_ids)
        if row["edited_at"] is None:
            # The first edit records the original, so history shows where it started.
            await store.record_original(
                conn, new_id(), current.id, row,
                list(current.poll.options) if current.poll else None)
        await store.update_text(
            conn, current.id, text=composed.body, content_html=composed.content_html,
            spoiler_text=req.spoiler_text, sensitive=req.sensitive or bool(req.spoiler_text),
            language=req.language, mentions=list(composed.mention_ids),
            tags=list(composed.tags))
        if options is not None:
            # A changed poll starts over: old votes were for other options.
            await store.replace_poll(
                conn, current.id, poll_id=new_id(), options=options,
                multiple=req.poll.multiple,  # type: ignore[union-attr]
                expires_in_s=float(req.poll.expires_in))  # type: ignore[union-attr]
        await store.record_edit(
            conn, new_id(), current.id, text=composed.body,
            content_html=composed.content_html, spoiler_text=req.spoiler_text,
            sensitive=req.sensitive or bool(req.spoiler_text))
        await outbox.add(conn, "posts", event)
        updated = await store.status(conn, current.id)
        assert updated is not None
        return updated
