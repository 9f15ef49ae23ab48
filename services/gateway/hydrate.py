"""Turn ids into Mastodon JSON with as few round trips as possible: one Redis multi-get for the
records the owners cached, one request to the owner for the misses (which refills the cache),
and the reader's own flags (favourited, reblogged, bookmarked, pinned, votes) from their cache in
the same round trip as the accounts (a miss asks posts, which fills it; shared/viewer_cache)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.gateway import mastodon
from services.gateway.pages import BoundedCache, Fragments
from shared import bus, policy, viewer_cache
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.fastredis import FastRedis
from shared.records import (
    AccountRecord,
    StatusRecord,
    account_key,
    status_key,
    unpack_account,
    unpack_cached_status,
)
from shared.viewer_cache import Flags


def post_facts(status: StatusRecord) -> policy.PostFacts:
    return policy.PostFacts(author_id=status.account_id, network_id=status.network_id,
                            visibility=status.visibility, mentions=status.mentions,
                            community_id=status.community_id)


class Hydrator:
    def __init__(self, nc: NATS, r: FastRedis | redis.Redis, base_url: str) -> None:
        self.nc = nc
        self.r = r
        self.base_url = base_url
        self.fragments = Fragments(base_url)
        # Decoded records by the exact cached bytes they came from: a page decodes twenty
        # records per read, mostly the same ones as the read before.
        self._decoded_statuses: BoundedCache[bytes, StatusRecord] = BoundedCache(10_000)
        self._decoded_accounts: BoundedCache[bytes, AccountRecord] = BoundedCache(10_000)

    def _status(self, raw: bytes) -> StatusRecord:
        found = self._decoded_statuses.get(raw)
        if found is None:
            found = self._decoded_statuses.put(raw, unpack_cached_status(raw))
        return found

    def account_from(self, raw: bytes) -> AccountRecord:
        """An account record from its cached bytes (``acct:<id>``)."""
        return self._account(raw)

    def _account(self, raw: bytes) -> AccountRecord:
        found = self._decoded_accounts.get(raw)
        if found is None:
            found = self._decoded_accounts.put(raw, unpack_account(raw))
        return found

    async def accounts(self, ids: list[int]) -> dict[int, AccountRecord]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        found: dict[int, AccountRecord] = {}
        for account_id, raw in zip(ids, await self.r.mget([account_key(i) for i in ids]),
                                   strict=True):
            if raw is not None:
                found[account_id] = self._account(raw)
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
                found[status_id] = self._status(raw)
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

    async def _accounts_and_flags(self, statuses: list[StatusRecord], viewer_id: int | None
                                  ) -> tuple[dict[int, AccountRecord], dict[int, Flags]]:
        """The authors and mentioned accounts of ``statuses`` and the viewer's flags on them:
        one Redis round trip when both are cached, the owners asked at once for what is not."""
        if not statuses:
            return {}, {}
        account_ids = list(dict.fromkeys(
            [s.account_id for s in statuses] + [i for s in statuses for i in s.mentions]))
        flag_ids = [s.id for s in statuses if s.reblog_of_id is None] if viewer_id else []
        pipe = self.r.pipeline(transaction=False)
        pipe.mget([account_key(i) for i in account_ids])
        if flag_ids:
            pipe.hmget(viewer_cache.flags_key(viewer_id), [str(i) for i in flag_ids])
        replies = await pipe.execute()
        accounts: dict[int, AccountRecord] = {}
        for account_id, raw in zip(account_ids, replies[0], strict=True):
            if raw is not None:
                accounts[account_id] = self._account(raw)
        flags: dict[int, viewer_cache.Flags] = {}
        if flag_ids:
            for status_id, raw in zip(flag_ids, replies[1], strict=True):
                if raw is not None:
                    flags[status_id] = viewer_cache.decode_flags(raw)
        missing_accounts = [i for i in account_ids if i not in accounts]
        unknown = set(flag_ids) - flags.keys()
        missing_flags = [s for s in statuses if s.id in unknown]
        if missing_accounts:
            accounts.update(await self.accounts(missing_accounts))
        if missing_flags:
            assert viewer_id is not None
            flags.update(await self._ask_flags(viewer_id, missing_flags))
        return accounts, flags

    async def _ask_flags(self, viewer_id: int, statuses: list[StatusRecord]
                         ) -> dict[int, viewer_cache.Flags]:
        """Flags the cache did not have: posts answers from Postgres and fills the cache."""
        reply = await bus.request(
            self.nc, "posts", "status.viewer_flags",
            posts_api.ViewerFlagsRequest(account_id=viewer_id, ids=[s.id for s in statuses]),
            posts_api.ViewerFlags)
        favourited, reblogged = set(reply.favourited), set(reply.reblogged)
        bookmarked, pinned = set(reply.bookmarked), set(reply.pinned)
        found = {}
        for s in statuses:
            votes = reply.poll_votes.get(s.poll.id) if s.poll else None
            found[s.id] = viewer_cache.Flags(
                favourited=s.id in favourited, reblogged=s.id in reblogged,
                bookmarked=s.id in bookmarked, pinned=s.id in pinned,
                poll_id=s.poll.id if votes and s.poll else None, votes=tuple(votes or ()))
        return found

    async def page(self, ids: list[int], viewer_id: int | None, *, hidden: set[int],
                   keep=None, once_per_original: bool = False) -> bytes:
        """A timeline page as JSON bytes (pages.Fragments splices cached pieces): the statuses
        of ``ids`` in order, without those by or reblogging accounts in ``hidden`` and those
        ``keep`` refuses; ``once_per_original`` leaves out a reblog whose original is on the
        page too."""
        found = await self.statuses(ids)
        listed = [found[i] for i in ids if i in found]
        if keep is not None:
            listed = [s for s in listed if keep(s)]
        if once_per_original:
            on_page = set(ids)
            listed = [s for s in listed if s.reblog_of_id not in on_page]
        wanted = [s.reblog_of_id for s in listed if s.reblog_of_id and s.reblog_of_id not in found]
        originals = {s.reblog_of_id: found[s.reblog_of_id] for s in listed
                     if s.reblog_of_id in found}
        if wanted:
            originals.update(await self.statuses(wanted))
        if hidden:
            listed = [s for s in listed if s.account_id not in hidden and not (
                s.reblog_of_id in originals and originals[s.reblog_of_id].account_id in hidden)]
        everything = [*listed, *(originals[s.reblog_of_id] for s in listed
                                 if s.reblog_of_id in originals)]
        accounts, flags = await self._accounts_and_flags(everything, viewer_id)
        return self.fragments.page(listed, originals, accounts, flags)

    async def render_statuses(self, statuses: list[StatusRecord], viewer_id: int | None = None
                              ) -> list[dict[str, Any]]:
        """Mastodon JSON for statuses, in the order given (reblogs wrap their original)."""
        originals = await self.with_originals(statuses)
        everything = [*statuses, *originals.values()]
        accounts, flags = await self._accounts_and_flags(everything, viewer_id)

        def one(s: StatusRecord, reblog: dict[str, Any] | None = None) -> dict[str, Any] | None:
            author = accounts.get(s.account_id)
            if author is None:
                return None  # the author is gone: so is the post, for readers
            mine = flags.get(s.id, viewer_cache.NO_FLAGS)
            mentioned = [accounts[i] for i in s.mentions if i in accounts]
            return mastodon.status(
                s, author, mentioned, self.base_url, favourited=mine.favourited,
                reblogged=mine.reblogged, bookmarked=mine.bookmarked, pinned=mine.pinned,
                reblog=reblog,
                own_votes=list(mine.votes) if s.poll and mine.poll_id == s.poll.id else None)

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
