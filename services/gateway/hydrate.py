"""Turn ids into Mastodon JSON with as few round trips as possible: one Redis multi-get for the
records the owners cached, one request to the owner for the misses (which refills the cache),
and the reader's own flags (favourited, reblogged, bookmarked, pinned, votes) from their cache in
the same round trip as the accounts (a miss asks posts, which fills it; shared/viewer_cache).

A timeline page (``Hydrator.page``, the hottest read) reads the statuses, their accounts and the
reader's flags in one round trip, the keys guessed from the records last seen of those statuses
(a status's author and what it reblogs never change); what the guess missed is read after. The
in-process caches hold decoded records and JSON pieces by the exact cached bytes they came from,
so a change (a new version of the bytes) is seen by the next read: none can serve a stale
status, account or flag (tests/gateway/test_home_caches.py)."""

from __future__ import annotations

from typing import Any, NamedTuple

import hiredis
import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.gateway.pages import BoundedCache, Fragments
from services.gateway.presenters import mastodon
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
        # The last record decoded of each status and account, with the exact cached bytes it
        # came from: a page decodes twenty records per read, mostly the same ones as the read
        # before (same bytes: the same record object, which the page's fragments are keyed by).
        self._statuses_seen: BoundedCache[int, tuple[bytes, StatusRecord]] = BoundedCache(
            20_000)
        self._accounts_seen: BoundedCache[int, tuple[bytes, AccountRecord]] = BoundedCache(
            20_000)
        self._decoded_accounts: BoundedCache[bytes, AccountRecord] = BoundedCache(10_000)
        # The reader's flags by their cached value ("", "f", "fb", ...: few distinct ones).
        self._decoded_flags: BoundedCache[bytes, Flags] = BoundedCache(10_000)
        # Page reads planned: by reader and ids, the keys one round trip reads (see _plan).
        self._plans: BoundedCache[tuple, _Plan] = BoundedCache(4_096)
        # The last pages made, by the same key, with the replies they were made from: a page
        # read again whose replies are the same bytes is the same page (no decoding, no
        # splicing). Few: a page is tens of kilobytes.
        self._pages: BoundedCache[tuple, _Page] = BoundedCache(256)
        self._packed = isinstance(r, FastRedis)

    def _status_at(self, status_id: int, raw: bytes) -> StatusRecord:
        """The status record cached as ``raw`` (not a tombstone)."""
        seen = self._statuses_seen.get(status_id)
        if seen is not None and seen[0] == raw:
            return seen[1]
        record = unpack_cached_status(raw)
        self._statuses_seen.put(status_id, (raw, record))
        return record

    def _account_at(self, account_id: int, raw: bytes) -> AccountRecord:
        seen = self._accounts_seen.get(account_id)
        if seen is not None and seen[0] == raw:
            return seen[1]
        record = unpack_account(raw)
        self._accounts_seen.put(account_id, (raw, record))
        return record

    def _flags(self, raw: bytes) -> Flags:
        found = self._decoded_flags.get(raw)
        if found is None:
            found = self._decoded_flags.put(raw, viewer_cache.decode_flags(raw))
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
                found[account_id] = self._account_at(account_id, raw)
        missing = [i for i in ids if i not in found]
        if missing:
            reply = await bus.call(self.nc, graph_api.ACCOUNT_GET,
                                   graph_api.GetAccounts(ids=missing))
            found.update((a.id, a) for a in reply.accounts)
        return found

    async def account(self, account_id: int) -> AccountRecord | None:
        return (await self.accounts([account_id])).get(account_id)

    async def statuses(self, ids: list[int]) -> dict[int, StatusRecord]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        return await self._found_statuses(ids, await self.r.mget([status_key(i) for i in ids]))

    async def _found_statuses(self, ids: list[int], raws: list[bytes | None]
                              ) -> dict[int, StatusRecord]:
        """The statuses of ``ids`` from their cached bytes ``raws``; the owner is asked for
        those not cached."""
        found: dict[int, StatusRecord] = {}
        tombstones = set()
        seen = self._statuses_seen.get
        for status_id, raw in zip(ids, raws, strict=True):
            if raw is None:
                continue
            if raw == b"":
                tombstones.add(status_id)  # deleted moments ago: no need to ask
                continue
            last = seen(status_id)
            found[status_id] = last[1] if last is not None and last[0] == raw \
                else self._status_at(status_id, raw)
        if len(found) + len(tombstones) < len(ids):
            missing = [i for i in ids if i not in found and i not in tombstones]
            reply = await bus.call(self.nc, posts_api.STATUS_GET,
                                   posts_api.GetStatuses(ids=missing))
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

    async def _accounts_and_flags(
        self, statuses: list[StatusRecord], viewer_id: int | None,
        accounts: dict[int, AccountRecord] | None = None, flags: dict[int, Flags] | None = None,
    ) -> tuple[dict[int, AccountRecord], dict[int, Flags]]:
        """The authors and mentioned accounts of ``statuses`` and the viewer's flags on them
        (beside those already read, ``accounts`` and ``flags``): one Redis round trip when both
        are cached, the owners asked at once for what is not."""
        accounts = {} if accounts is None else accounts
        flags = {} if flags is None else flags
        if not statuses:
            return accounts, flags
        account_ids = [i for i in dict.fromkeys(
            [s.account_id for s in statuses] + [i for s in statuses for i in s.mentions])
            if i not in accounts]
        flag_ids = [s.id for s in statuses if s.reblog_of_id is None and s.id not in flags] \
            if viewer_id else []
        if not account_ids and not flag_ids:
            return accounts, flags
        pipe = self.r.pipeline(transaction=False)
        if account_ids:
            pipe.mget([account_key(i) for i in account_ids])
        if flag_ids:
            pipe.hmget(viewer_cache.flags_key(viewer_id), [str(i) for i in flag_ids])
        replies = await pipe.execute()
        if account_ids:
            self._add_accounts(accounts, account_ids, replies[0])
        if flag_ids:
            self._add_flags(flags, flag_ids, replies[-1])
        missing_accounts = [i for i in account_ids if i not in accounts]
        unknown = set(flag_ids) - flags.keys()
        missing_flags = [s for s in statuses if s.id in unknown] if unknown else []
        if missing_accounts:
            accounts.update(await self.accounts(missing_accounts))
        if missing_flags:
            assert viewer_id is not None
            flags.update(await self._ask_flags(viewer_id, missing_flags))
        return accounts, flags

    def _add_accounts(self, accounts: dict[int, AccountRecord], ids: list[int],
                      raws: list[bytes | None]) -> None:
        seen = self._accounts_seen.get
        for account_id, raw in zip(ids, raws, strict=True):
            if raw is not None:
                last = seen(account_id)
                accounts[account_id] = last[1] if last is not None and last[0] == raw \
                    else self._account_at(account_id, raw)

    def _add_flags(self, flags: dict[int, Flags], ids: list[int], raws: list[bytes | None]
                   ) -> None:
        decoded = self._decoded_flags.get
        for status_id, raw in zip(ids, raws, strict=True):
            if raw is not None:
                found = decoded(raw)
                flags[status_id] = found if found is not None else self._flags(raw)

    async def _ask_flags(self, viewer_id: int, statuses: list[StatusRecord]
                         ) -> dict[int, viewer_cache.Flags]:
        """Flags the cache did not have: posts answers from Postgres and fills the cache."""
        reply = await bus.call(
            self.nc, posts_api.STATUS_VIEWER_FLAGS,
            posts_api.ViewerFlagsRequest(account_id=viewer_id, ids=[s.id for s in statuses]))
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
        if not ids:
            return b"[]"
        unique = list(dict.fromkeys(ids))
        plan_key = (viewer_id, *unique)
        plan = self._plans.get(plan_key)
        if plan is None:
            plan = self._plans.put(plan_key, self._plan(unique, viewer_id))
        if self._packed:
            replies = await self.r.execute_packed(plan.packed, len(plan.commands))
        else:
            replies = [await self.r.execute_command(*c) for c in plan.commands]
        last = self._pages.get(plan_key) if keep is None else None
        if (last is not None and last.plan is plan and last.replies == replies
                and last.hidden == hidden and last.once_per_original is once_per_original):
            return last.body  # the very bytes it was made from: the same page
        found, accounts, flags = await self._read(plan, replies)
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
        read_ahead = len(accounts) + len(flags)
        accounts, flags = await self._accounts_and_flags(everything, viewer_id, accounts, flags)
        body = self.fragments.page(listed, originals, accounts, flags)
        if wanted or len(accounts) + len(flags) != read_ahead:
            self._plans.put(plan_key, self._plan(unique, viewer_id))  # it missed: guess again
        elif (keep is None and None not in replies[0]
              and not any(s.poll is not None for s in everything)):
            # Made from the plan's replies alone (no owner asked, no poll, whose JSON shows
            # the time): the same replies next time make the same page.
            self._pages.put(plan_key, _Page(plan, replies, frozenset(hidden), once_per_original,
                                            body))
        return body

    def _plan(self, ids: list[int], viewer_id: int | None) -> _Plan:
        """What to read for a page of ``ids`` (no duplicates) in one round trip: the statuses,
        and what the records last seen of them name (their authors and mentioned accounts, the
        originals of reblogs and theirs, the reader's flags on them). Only a guess of which
        keys to read: the values used are always those read now, and what the guess missed is
        read afterwards (_accounts_and_flags)."""
        seen = self._statuses_seen.get
        originals: dict[int, None] = {}
        account_ids: dict[int, None] = {}
        flag_ids: list[int] = []
        for status_id in ids:
            last_seen = seen(status_id)
            if last_seen is None:
                continue
            last = last_seen[1]
            account_ids[last.account_id] = None
            account_ids.update(dict.fromkeys(last.mentions))
            if last.reblog_of_id is None:
                flag_ids.append(status_id)
                continue
            originals[last.reblog_of_id] = None
            original_seen = seen(last.reblog_of_id)
            if original_seen is not None:
                account_ids[original_seen[1].account_id] = None
                account_ids.update(dict.fromkeys(original_seen[1].mentions))
                flag_ids.append(last.reblog_of_id)
        on_page = set(ids)
        extra = [i for i in originals if i not in on_page]
        if not viewer_id:
            flag_ids = []
        commands: list[tuple] = [("MGET", *[status_key(i) for i in [*ids, *extra]])]
        if account_ids:
            commands.append(("MGET", *[account_key(i) for i in account_ids]))
        if flag_ids:
            commands.append(("HMGET", viewer_cache.flags_key(viewer_id),
                             *[str(i) for i in flag_ids]))
        packed = b"".join([hiredis.pack_command(c) for c in commands]) if self._packed else b""
        return _Plan(ids, extra, list(account_ids), flag_ids, commands, packed)

    async def _read(self, plan: _Plan, replies: list[Any]
                    ) -> tuple[dict[int, StatusRecord], dict[int, AccountRecord],
                               dict[int, Flags]]:
        """A plan's replies decoded: the statuses found (with the originals guessed, when
        cached), and the accounts and flags read."""
        accounts: dict[int, AccountRecord] = {}
        flags: dict[int, Flags] = {}
        if plan.account_ids:
            self._add_accounts(accounts, plan.account_ids, replies[1])
        if plan.flag_ids:
            self._add_flags(flags, plan.flag_ids, replies[-1])
        raws = replies[0]
        if not plan.originals:
            return await self._found_statuses(plan.ids, raws), accounts, flags
        n = len(plan.ids)
        found = await self._found_statuses(plan.ids, raws[:n])
        # An original not cached is asked of its owner by page, if needed.
        for status_id, raw in zip(plan.originals, raws[n:], strict=True):
            if raw:
                found[status_id] = self._status_at(status_id, raw)
        return found, accounts, flags

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


class _Plan(NamedTuple):
    """A page read's keys, as Hydrator._plan guessed them, and its commands."""

    ids: list[int]  # the page's, without duplicates
    originals: list[int]  # of reblogs among them, not on the page
    account_ids: list[int]
    flag_ids: list[int]  # none without a reader
    commands: list[tuple]  # MGET statuses, MGET accounts (if any), HMGET flags (if any)
    packed: bytes  # the commands packed (FastRedis), b"" otherwise


class _Page(NamedTuple):
    """A page made, and everything it was made from."""

    plan: _Plan
    replies: list[Any]  # the plan's replies, as read
    hidden: frozenset[int]
    once_per_original: bool
    body: bytes
