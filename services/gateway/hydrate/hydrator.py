"""The Hydrator: ids in, what a reader may see out, as Mastodon JSON. A façade over the parts
that do the work, each in its own module: fetch (records through Redis and the owners),
records (decoded records by their cached bytes), filter (visibility, muted and blocked
accounts), reader_filters (the reader's content filters), timeline_page (a whole page in one
round trip) and render (statuses as JSON)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.gateway.hydrate import filter
from services.gateway.hydrate.fetch import Fetch
from services.gateway.hydrate.reader_filters import FilterSets, ReaderFilters
from services.gateway.hydrate.records import DecodedRecords
from services.gateway.hydrate.render import Render
from services.gateway.hydrate.timeline_page import TimelinePages
from services.gateway.pages import Fragments
from services.gateway.presenters.media import MediaUrl
from shared import policy
from shared.fastredis import FastRedis
from shared.records import AccountRecord, StatusRecord


class Hydrator:
    def __init__(self, nc: NATS, r: FastRedis | redis.Redis, base_url: str,
                 media_url: MediaUrl) -> None:
        self.nc = nc
        self.r = r
        self.base_url = base_url
        self.media_url = media_url  # an attachment's key -> its signed URL (media_urls.py)
        self.fragments = Fragments(base_url, media_url)
        self.records = DecodedRecords()
        self.fetch = Fetch(nc, r, self.records)
        self.pages = TimelinePages(r, self.records, self.fetch, self.fragments)
        self.render = Render(self.fetch, base_url, media_url)
        self.filters = FilterSets(nc, r)  # readers' content filters, compiled by their stamp

    def account_from(self, raw: bytes) -> AccountRecord:
        """An account record from its cached bytes (``acct:<id>``)."""
        return self.records.account(raw)

    async def accounts(self, ids: list[int]) -> dict[int, AccountRecord]:
        return await self.fetch.accounts(ids)

    async def account(self, account_id: int) -> AccountRecord | None:
        return (await self.fetch.accounts([account_id])).get(account_id)

    async def statuses(self, ids: list[int]) -> dict[int, StatusRecord]:
        return await self.fetch.statuses(ids)

    async def with_originals(self, statuses: list[StatusRecord]) -> dict[int, StatusRecord]:
        """The reblogged statuses of any reblogs among ``statuses``."""
        return await self.fetch.with_originals(statuses)

    async def visible(self, statuses: list[StatusRecord], viewer: policy.Viewer
                      ) -> list[StatusRecord]:
        """Keep what the viewer may see; a reblog needs both itself and its original visible."""
        return filter.visible(statuses, await self.fetch.with_originals(statuses), viewer)

    async def without_authors(self, statuses: list[StatusRecord], hidden: set[int]
                              ) -> list[StatusRecord]:
        """Drop statuses by (or reblogging) accounts the reader muted or blocked."""
        if not hidden:
            return statuses
        return filter.without_authors(statuses, await self.fetch.with_originals(statuses),
                                      hidden)

    async def page(self, ids: list[int], viewer_id: int | None, *, hidden: set[int],
                   keep: Callable[[StatusRecord], bool] | None = None,
                   once_per_original: bool = False, filters: ReaderFilters | None = None,
                   context: str = "home") -> bytes:
        """A timeline page as JSON bytes (timeline_page.TimelinePages.page)."""
        return await self.pages.page(ids, viewer_id, hidden=hidden, keep=keep,
                                     once_per_original=once_per_original, filters=filters,
                                     context=context)

    async def render_statuses(self, statuses: list[StatusRecord], viewer_id: int | None = None,
                              filters: ReaderFilters | None = None, context: str = "",
                              hide: bool = True,
                              known: dict[int, AccountRecord] | None = None
                              ) -> list[dict[str, Any]]:
        """Mastodon JSON for statuses, in the order given (reblogs wrap their original), the
        reader's content ``filters`` applied in ``context`` (render.Render); ``known``:
        accounts read already."""
        return await self.render.render_statuses(statuses, viewer_id, filters, context, hide,
                                                 known)

    async def reader_filters(self, viewer_id: int | None) -> ReaderFilters | None:
        """The reader's content filters (one round trip for their stamp; none anonymous)."""
        return await self.filters.read(viewer_id) if viewer_id else None

    async def without_filtered(self, statuses: list[StatusRecord],
                               filters: ReaderFilters | None, context: str
                               ) -> list[StatusRecord]:
        """Drop what a ``hide`` filter of the reader's leaves out in ``context`` (for pages
        read on until full: the page is cut from what is shown)."""
        if filters is None or not statuses:
            return statuses
        kept, _ = filters.apply(statuses, await self.fetch.with_originals(statuses), context)
        return kept

    async def render_status_ids(self, ids: list[int], viewer_id: int | None = None
                                ) -> list[dict[str, Any]]:
        return await self.render.render_status_ids(ids, viewer_id)
