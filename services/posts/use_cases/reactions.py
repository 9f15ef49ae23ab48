"""Favourite, reblog, bookmark and pin: each a row, a counter and (where others care) an event,
in one transaction. Doing one twice is harmless; undoing what was not done is too."""

from __future__ import annotations

import asyncio

import asyncpg
from nats.aio.client import Client as NATS

from services.posts import audience, flag_cache, status_cache, store
from shared import errors, events, outbox, policy
from shared.cache import CacheClient
from shared.contracts.posts import StatusAction
from shared.ids import new_id
from shared.records import StatusRecord
from shared.viewer_cache import Generation

MAX_PINS = 5


class Reactions:
    def __init__(self, pool: asyncpg.Pool, cache: CacheClient, nc: NATS) -> None:
        self.pool = pool
        self.cache = cache
        self.nc = nc

    async def _visible(self, req: StatusAction) -> StatusRecord:
        status = await status_cache.get(self.cache, self.pool, req.status_id)
        status = await audience.ensure_visible(self.nc, status, req.account_id,
                                               network_id=req.network_id, cache=self.cache)
        if status.reblog_of_id is not None:
            # Acting on a reblog acts on what it reblogged, as Mastodon does.
            original = await status_cache.get(self.cache, self.pool, status.reblog_of_id)
            status = await audience.ensure_visible(self.nc, original, req.account_id,
                                                   network_id=req.network_id,
                                                   cache=self.cache)
        return status

    async def _reread(self, status_id: int) -> StatusRecord:
        fresh = await status_cache.refresh(self.cache, self.pool, status_id)
        if not fresh:
            raise errors.NotFound("Record not found")
        return fresh[0]

    async def _settled(self, req: StatusAction, status_id: int) -> StatusRecord:
        """After the action committed: the reader's flags (flag_cache) and the status's counts
        (status_cache) cached anew, side by side (two caches, each its own round trips), and
        the status as it is now."""
        _, fresh = await asyncio.gather(
            flag_cache.changed(self.pool, self.cache, req.account_id, status_id),
            self._reread(status_id))
        return fresh

    async def _counted(self, req: StatusAction, status: StatusRecord, seen: Generation,
                       counted: store.Counted) -> StatusRecord:
        """As ``_settled``, after a favourite or unfavourite, from what its statement returned:
        the reader's flags on the status (flag_cache.written) and its new count
        (status_cache.counted), neither read again."""
        if not counted.done or counted.favourites_count is None:
            # Nothing changed (the flags are cached as read all the same): as it is now.
            await flag_cache.written(self.cache, req.account_id, seen, status.id,
                                     counted.flags)
            return await self._reread(status.id)
        _, fresh = await asyncio.gather(
            flag_cache.written(self.cache, req.account_id, seen, status.id, counted.flags),
            status_cache.counted(self.cache, self.pool, status, counted.version,
                                 favourites_count=counted.favourites_count))
        if fresh is None:
            raise errors.NotFound("Record not found")
        return fresh

    async def _visible_and_generation(self, req: StatusAction
                                      ) -> tuple[StatusRecord, Generation]:
        """The status acted on, and the reader's flags generation noted before the action's
        statement (flag_cache.written), side by side."""
        return await asyncio.gather(self._visible(req),
                                    flag_cache.generation(self.cache, req.account_id))

    async def favourite(self, req: StatusAction) -> StatusRecord:
        status, seen = await self._visible_and_generation(req)
        async with self.pool.acquire() as conn:  # (one statement: the row, count and event)
            counted = await store.add_favourite(conn, new_id(), req.account_id, status.id,
                                                events.FavouriteAdded(
                                                    status_id=status.id,
                                                    status_account_id=status.account_id,
                                                    account_id=req.account_id))
        return await self._counted(req, status, seen, counted)

    async def unfavourite(self, req: StatusAction) -> StatusRecord:
        status, seen = await self._visible_and_generation(req)
        async with self.pool.acquire() as conn:  # (one statement: the row, count and event)
            counted = await store.remove_favourite(conn, req.account_id, status.id,
                                                   events.FavouriteRemoved(
                                                       status_id=status.id,
                                                       status_account_id=status.account_id,
                                                       account_id=req.account_id))
        return await self._counted(req, status, seen, counted)

    async def reblog(self, req: StatusAction, network_id: int, visibility: str = "public"
                     ) -> StatusRecord:
        """Returns the reblog (its own status, wrapping the original)."""
        status, seen = await self._visible_and_generation(req)
        if status.visibility in (policy.PRIVATE, policy.DIRECT) and (
                status.account_id != req.account_id or status.visibility == policy.DIRECT):
            raise errors.Invalid("Validation failed: this status cannot be reblogged")
        if status.community_id is not None:
            raise errors.Invalid("Validation failed: community posts cannot be reblogged")
        if not policy.is_visibility(visibility) or visibility == policy.DIRECT:
            raise errors.Invalid("Validation failed: visibility must be public, unlisted or "
                                 "private")
        async with self.pool.acquire() as conn:  # (one statement: the reblog, count, event)
            made = new_id()
            reblog_id: int | None = made
            reblogged = await store.insert_reblog(
                conn, made, req.account_id, network_id, visibility, status.id,
                events.ReblogCreated(reblog_id=made, status_id=status.id,
                                     status_account_id=status.account_id,
                                     account_id=req.account_id, network_id=network_id,
                                     visibility=visibility))
            if not reblogged.done:
                # reblogged already (or by a concurrent request that won): that one
                reblog_id = await store.live_reblog_id(conn, req.account_id, status.id)
        # The reader's flags as the statement read them, and the original (its count) and the
        # reblog cached as they are now (in one read), side by side as in _settled.
        _, refreshed = await asyncio.gather(
            flag_cache.written(self.cache, req.account_id, seen, status.id, reblogged.flags),
            status_cache.refresh(self.cache, self.pool, status.id,
                                 *([reblog_id] if reblog_id else [])))
        fresh = {s.id: s for s in refreshed}
        if reblog_id not in fresh:  # a concurrent reblog won and was undone at once
            raise errors.NotFound("Record not found")
        return fresh[reblog_id]

    async def unreblog(self, req: StatusAction) -> StatusRecord:
        """Returns the original status."""
        status = await self._visible(req)
        async with self.pool.acquire() as conn, conn.transaction():
            reblog_id = await store.delete_reblog(conn, req.account_id, status.id)
            if reblog_id is not None:
                await store.uncount_reblog(conn, status.id)
                await outbox.add(conn, "posts", events.ReblogRemoved(
                    reblog_id=reblog_id, status_id=status.id,
                    status_account_id=status.account_id, account_id=req.account_id))
        if reblog_id is not None:
            await status_cache.refresh(self.cache, self.pool, reblog_id)
        return await self._settled(req, status.id)

    async def bookmark(self, req: StatusAction) -> StatusRecord:
        status = await self._visible(req)
        async with self.pool.acquire() as conn:
            await store.add_bookmark(conn, new_id(), req.account_id, status.id)
        await flag_cache.changed(self.pool, self.cache, req.account_id, status.id)
        return status

    async def unbookmark(self, req: StatusAction) -> StatusRecord:
        status = await self._visible(req)
        async with self.pool.acquire() as conn:
            await store.remove_bookmark(conn, req.account_id, status.id)
        await flag_cache.changed(self.pool, self.cache, req.account_id, status.id)
        return status

    async def pin(self, req: StatusAction) -> StatusRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            status = await store.status(conn, req.status_id)
            if status is None:
                raise errors.NotFound("Record not found")
            if status.account_id != req.account_id:
                raise errors.Invalid("Validation failed: you can only pin your own statuses")
            if status.reblog_of_id is not None or status.visibility == policy.DIRECT:
                raise errors.Invalid("Validation failed: this status cannot be pinned")
            # Lock the author's pins so that two concurrent pins cannot pass the limit.
            await store.lock_pins(conn, req.account_id)
            count = await store.pin_count(conn, req.account_id)
            exists = await store.is_pinned(conn, req.account_id, status.id)
            if not exists and count >= MAX_PINS:
                raise errors.Invalid(f"Validation failed: at most {MAX_PINS} pinned statuses")
            await store.add_pin(conn, req.account_id, status.id)
        await flag_cache.changed(self.pool, self.cache, req.account_id, status.id)
        return status

    async def unpin(self, req: StatusAction) -> StatusRecord:
        async with self.pool.acquire() as conn:
            status = await store.status(conn, req.status_id)
            if status is None or status.account_id != req.account_id:
                raise errors.NotFound("Record not found")
            await store.remove_pin(conn, req.account_id, status.id)
        await flag_cache.changed(self.pool, self.cache, req.account_id, status.id)
        return status
