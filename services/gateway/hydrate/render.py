"""Statuses as Mastodon JSON, with their authors, mentioned accounts and the reader's flags
(one round trip when cached: Fetch.accounts_and_flags) and content filters. Reblogs wrap their
original."""

from __future__ import annotations

from typing import Any

from services.gateway.hydrate.fetch import Fetch
from services.gateway.hydrate.reader_filters import ReaderFilters
from services.gateway.presenters import mastodon
from services.gateway.presenters.media import MediaUrl
from shared import viewer_cache
from shared.records import AccountRecord, StatusRecord


class Render:
    def __init__(self, fetch: Fetch, base_url: str, media_url: MediaUrl) -> None:
        self.fetch = fetch
        self.base_url = base_url
        self.media_url = media_url

    async def render_statuses(self, statuses: list[StatusRecord], viewer_id: int | None = None,
                              filters: ReaderFilters | None = None, context: str = "",
                              hide: bool = True,
                              known: dict[int, AccountRecord] | None = None
                              ) -> list[dict[str, Any]]:
        """Mastodon JSON for statuses, in the order given (reblogs wrap their original), with
        the reader's content ``filters`` applied in ``context`` (a ``hide`` filter leaves the
        status out, unless not ``hide``: a status asked for by id). ``known``: accounts the
        caller read already (a new status's author), not read again."""
        originals = await self.fetch.with_originals(statuses)
        filtered: dict[int, list[dict[str, Any]]] = {}
        if filters is not None and context:
            statuses, filtered = filters.apply(statuses, originals, context, hide=hide)
        everything = [*statuses, *originals.values()]
        accounts, flags = await self.fetch.accounts_and_flags(
            everything, viewer_id, dict(known) if known else None)

        def one(s: StatusRecord, reblog: dict[str, Any] | None = None) -> dict[str, Any] | None:
            author = accounts.get(s.account_id)
            if author is None:
                return None  # the author is gone: so is the post, for readers
            mine = flags.get(s.id, viewer_cache.NO_FLAGS)
            mentioned = [accounts[i] for i in s.mentions if i in accounts]
            return mastodon.status(
                s, author, mentioned, self.base_url, media_url=self.media_url,
                favourited=mine.favourited,
                reblogged=mine.reblogged, bookmarked=mine.bookmarked, pinned=mine.pinned,
                reblog=reblog,
                own_votes=list(mine.votes) if s.poll and mine.poll_id == s.poll.id else None,
                filtered=filtered.get(s.id))

        rendered = []
        for s in statuses:
            if s.reblog_of_id is not None:
                original = originals.get(s.reblog_of_id)
                inner = one(original) if original else None
                if inner is None:
                    continue
                outer = one(s, reblog=inner)
                if outer is not None:
                    # A reblog's flags are its original's, as Mastodon shows them.
                    for flag in ("favourited", "reblogged", "bookmarked"):
                        outer[flag] = inner[flag]
                    rendered.append(outer)
            else:
                shaped = one(s)
                if shaped is not None:
                    rendered.append(shaped)
        return rendered

    async def render_status_ids(self, ids: list[int], viewer_id: int | None = None
                                ) -> list[dict[str, Any]]:
        found = await self.fetch.statuses(ids)
        return await self.render_statuses([found[i] for i in ids if i in found], viewer_id)
