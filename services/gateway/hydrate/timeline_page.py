"""A timeline page (the hottest read) in one round trip: the statuses, their accounts and the
reader's flags, the keys guessed from the records last seen of those statuses (a status's author
and what it reblogs never change); what the guess missed is read after. Two cache layers of
its own: the plans (which keys a page reads, packed once for FastRedis) and the last pages made
with the replies they were made from (the same replies: the same page, no decoding)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import hiredis
import msgspec
import redis.asyncio as redis

from services.gateway.hydrate.fetch import Fetch
from services.gateway.hydrate.reader_filters import ReaderFilters
from services.gateway.hydrate.records import DecodedRecords
from services.gateway.media_urls import DayTurn
from services.gateway.pages import Fragments
from shared import viewer_cache
from shared.bounded_cache import BoundedCache
from shared.fastredis import FastRedis
from shared.records import AccountRecord, StatusRecord, account_key, status_key
from shared.viewer_cache import Flags

_encode = msgspec.json.Encoder().encode


class TimelinePages:
    def __init__(self, r: FastRedis | redis.Redis, records: DecodedRecords, fetch: Fetch,
                 fragments: Fragments) -> None:
        self.r = r
        self.records = records
        self.fetch = fetch
        self.fragments = fragments
        # Page reads planned: by reader and ids, the keys one round trip reads (see _plan).
        self._plans: BoundedCache[tuple[int | None, ...], _Plan] = BoundedCache(4_096)
        # The last pages made, by the same key, with the replies they were made from: a page
        # read again whose replies are the same bytes is the same page (no decoding, no
        # splicing). Few: a page is tens of kilobytes.
        self._pages: BoundedCache[tuple[int | None, ...], _Page] = BoundedCache(256)
        # Pages hold attachments' signed URLs: none is kept past the end of its day
        # (services/gateway/media_urls.py).
        self._day = DayTurn()
        self._fast = r if isinstance(r, FastRedis) else None  # commands packed once for it

    async def page(self, ids: list[int], viewer_id: int | None, *, hidden: set[int],
                   keep: Callable[[StatusRecord], bool] | None = None,
                   once_per_original: bool = False, filters: ReaderFilters | None = None,
                   context: str = "home") -> bytes:
        """A timeline page as JSON bytes (pages.Fragments splices cached pieces): the statuses
        of ``ids`` in order, without those by or reblogging accounts in ``hidden`` and those
        ``keep`` refuses; ``once_per_original`` leaves out a reblog whose original is on the
        page too. ``filters``: the reader's content filters, applied in ``context`` (None: the
        reader has none, and no filter work is done)."""
        if not ids:
            return b"[]"
        unique = list(dict.fromkeys(ids))
        plan_key = (viewer_id, *unique)
        plan = self._plans.get(plan_key)
        if plan is None:
            plan = self._plans.put(plan_key, self._plan(unique, viewer_id))
        if self._fast is not None:
            replies = await self._fast.execute_packed(plan.packed, len(plan.commands))
        else:
            replies = [await self.r.execute_command(*c) for c in plan.commands]
        if self._day.turned():
            self._pages.clear()
        # (a page with filters depends on the time too: their expiry)
        last = self._pages.get(plan_key) if keep is None and filters is None else None
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
            originals.update(await self.fetch.statuses(wanted))
        if hidden:
            listed = [s for s in listed if s.account_id not in hidden and not (
                s.reblog_of_id in originals and originals[s.reblog_of_id].account_id in hidden)]
        filtered = None
        if filters is not None:
            listed, results = filters.apply(listed, originals, context)
            filtered = {i: _encode(r) for i, r in results.items()}
        everything = [*listed, *(originals[s.reblog_of_id] for s in listed
                                 if s.reblog_of_id in originals)]
        read_ahead = len(accounts) + len(flags)
        accounts, flags = await self.fetch.accounts_and_flags(everything, viewer_id, accounts,
                                                              flags)
        body = self.fragments.page(listed, originals, accounts, flags, filtered)
        if wanted or len(accounts) + len(flags) != read_ahead:
            self._plans.put(plan_key, self._plan(unique, viewer_id))  # it missed: guess again
        elif (keep is None and filters is None and None not in replies[0]
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
        read afterwards (Fetch.accounts_and_flags)."""
        seen = self.records.statuses_seen.get
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
        commands: list[tuple[Any, ...]] = [("MGET", *[status_key(i) for i in [*ids, *extra]])]
        if account_ids:
            commands.append(("MGET", *[account_key(i) for i in account_ids]))
        if flag_ids and viewer_id:  # (none without a reader: emptied above)
            commands.append(("HMGET", viewer_cache.flags_key(viewer_id),
                             *[str(i) for i in flag_ids]))
        packed = (b"".join([hiredis.pack_command(c) for c in commands])
                  if self._fast is not None else b"")
        return _Plan(ids, extra, list(account_ids), flag_ids, commands, packed)

    async def _read(self, plan: _Plan, replies: list[Any]
                    ) -> tuple[dict[int, StatusRecord], dict[int, AccountRecord],
                               dict[int, Flags]]:
        """A plan's replies decoded: the statuses found (with the originals guessed, when
        cached), and the accounts and flags read."""
        accounts: dict[int, AccountRecord] = {}
        flags: dict[int, Flags] = {}
        if plan.account_ids:
            self.records.add_accounts(accounts, plan.account_ids, replies[1])
        if plan.flag_ids:
            self.records.add_flags(flags, plan.flag_ids, replies[-1])
        raws = replies[0]
        if not plan.originals:
            return await self.fetch.found_statuses(plan.ids, raws), accounts, flags
        n = len(plan.ids)
        found = await self.fetch.found_statuses(plan.ids, raws[:n])
        # An original not cached is asked of its owner by page, if needed.
        for status_id, raw in zip(plan.originals, raws[n:], strict=True):
            if raw:
                found[status_id] = self.records.status_at(status_id, raw)
        return found, accounts, flags


class _Plan(NamedTuple):
    """A page read's keys, as TimelinePages._plan guessed them, and its commands."""

    ids: list[int]  # the page's, without duplicates
    originals: list[int]  # of reblogs among them, not on the page
    account_ids: list[int]
    flag_ids: list[int]  # none without a reader
    commands: list[tuple[Any, ...]]  # MGET statuses, MGET accounts (if any), HMGET flags (if any)
    packed: bytes  # the commands packed (FastRedis), b"" otherwise


class _Page(NamedTuple):
    """A page made, and everything it was made from."""

    plan: _Plan
    replies: list[Any]  # the plan's replies, as read
    hidden: frozenset[int]
    once_per_original: bool
    body: bytes
