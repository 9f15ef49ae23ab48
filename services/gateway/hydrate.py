"""Turn ids into Mastodon JSON with as few round trips as possible: one Redis multi-get for the
records the owners cached, one request to the owner for the misses (which refills the cache),
and one request for the reader's own flags (favourited, reblogged, bookmarked, pinned, votes)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.gateway import mastodon
from shared import bus, policy
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.records import (
    AccountRecord,
    StatusRecord,
    account_key,
    status_key,
    unpack_account,
    unpack_cached_status,
)


def post_facts(status: StatusRecord) -> policy.PostFacts:
    return policy.PostFacts(author_id=status.account_id, network_id=status.network_id,
                            visibility=status.visibility, mentions=status.mentions,
                            community_id=status.community_id)


class Hydrator:
    def __init__(self, nc: NATS, r: redis.Redis, base_url: str) -> None:
        self.nc = nc
        self.r = r
        self.base_url = base_url

    async def accounts(self, ids: list[int]) -> dict[int, AccountRecord]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        found: dict[int, AccountRecord] = {}
        for account_id, raw in zip(ids, await self.r.mget([account_key(i) for i in ids]),
                                   strict=True):
            if raw is not None:
                found[account_id] = unpack_account(raw)
        missing = [i for i in ids if i not in found]
        if missing:
            reply = await bus.request(self.nc, "graph", "account.get",
                                      graph_api.GetAccounts(ids=missing), graph_api.Accounts)
            found.update((a.id, a) for a in reply.accounts)
        return found

    async def account(self, account_id: int) -> AccountRecord | None:
        return (await self.accounts([account_id])).get(account_id)

    async def statuses(self, ids: list[int]) -> dict[int, StatusRecord]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        found: dict[int, StatusRecord] = {}
        tombstones = set()
        for status_id, raw in zip(ids, await self.r.mget([status_key(i) for i in ids]),
                                  strict=True):
            if raw == b"":
                tombstones.add(status_id)  # deleted moments ago: no need to ask
            elif raw is not None:
                found[status_id] = unpack_cached_status(raw)
        missing = [i for i in ids if i not in found and i not in tombstones]
        if missing:
            reply = await bus.request(self.nc, "posts", "status.get",
                                      posts_api.GetStatuses(ids=missing), posts_api.Statuses)
            found.update((s.id, s) for s in reply.statuses)
        return found

    async def with_originals(self, statuses: list[StatusRecord]) -> dict[int, StatusRecord]:
        """The reblogged statuses of any reblogs among ``statuses``."""
        return await self.statuses([s.reblog_of_id for s in statuses if s.reblog_of_id])

    async def visible(self, statuses: list[StatusRecord], viewer: policy.Viewer
                      ) -> list[StatusRecord]:
        """Keep what the viewer may see; a reblog needs both itself and its original visible."""
        originals = await self.with_originals(statuses)
        kept = []
        for s in statuses:
            if not policy.can_see(post_facts(s), viewer):
                continue
            if s.reblog_of_id is not None:
                original = originals.get(s.reblog_of_id)
                if original is None or not policy.can_see(post_facts(original), viewer):
                    continue
            kept.append(s)
        return kept

    async def without_authors(self, statuses: list[StatusRecord], hidden: set[int]
                              ) -> list[StatusRecord]:
        """Drop statuses by (or reblogging) accounts the reader muted or blocked."""
        if not hidden:
            return statuses
        originals = await self.with_originals(statuses)
        kept = []
        for s in statuses:
            original = originals.get(s.reblog_of_id) if s.reblog_of_id else None
            if s.account_id in hidden or (original is not None and original.account_id in hidden):
                continue
            kept.append(s)
        return kept

    async def render_statuses(self, statuses: list[StatusRecord], viewer_id: int | None = None
                              ) -> list[dict[str, Any]]:
        """Mastodon JSON for statuses, in the order given (reblogs wrap their original)."""
        originals = await self.with_originals(statuses)
        everything = [*statuses, *originals.values()]
        account_ids = [s.account_id for s in everything]
        for s in everything:
            account_ids.extend(s.mentions)
        accounts = await self.accounts(account_ids)
        flags = posts_api.ViewerFlags()
        if viewer_id is not None and everything:
            flags = await bus.request(
                self.nc, "posts", "status.viewer_flags",
                posts_api.ViewerFlagsRequest(account_id=viewer_id,
                                             ids=[s.id for s in everything]),
                posts_api.ViewerFlags)
        favourited, reblogged = set(flags.favourited), set(flags.reblogged)
        bookmarked, pinned = set(flags.bookmarked), set(flags.pinned)

        def one(s: StatusRecord, reblog: dict[str, Any] | None = None) -> dict[str, Any] | None:
            author = accounts.get(s.account_id)
            if author is None:
                return None  # the author is gone: so is the post, for readers
            mentioned = [accounts[i] for i in s.mentions if i in accounts]
            return mastodon.status(
                s, author, mentioned, self.base_url, favourited=s.id in favourited,
                reblogged=s.id in reblogged, bookmarked=s.id in bookmarked,
                pinned=s.id in pinned, reblog=reblog,
                own_votes=flags.poll_votes.get(s.poll.id) if s.poll else None)

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
        found = await self.statuses(ids)
        return await self.render_statuses([found[i] for i in ids if i in found], viewer_id)
