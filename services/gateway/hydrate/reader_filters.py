"""A reader's content filters (Mastodon's v2 filters), compiled once per gateway process and
applied to the statuses the reader gets: each status carries ``filtered`` (a FilterResult per
filter of the reader's that matches it in the read's context), and a ``hide`` filter leaves the
status out. Matching is Mastodon's: case-insensitive, keywords literal text (escaped: a keyword
is never a pattern of the user's), ``whole_word`` at word boundaries, against the status's
spoiler text, text and poll options (and media descriptions, which Hubbub does not store); a
reblog is matched by its original, and a status rule matches the reblog and its original alike.

Where a reader's filters come from, and the cost of a read:
- graph owns them and caches each reader's set in Valkey (shared/viewer_cache.py): a ``stamp``
  that names the set (a digest of it) and its ``body``;
- a timeline read fetches the stamp in a round trip it makes anyway (the home read's first one;
  the other timelines' read of the reader's hidden accounts, Gateway.reader_cache). A reader
  without filters gets NO_FILTERS there, and the read does no filter work at all;
- a stamp compiled already in this process is used as it is (``FilterSets``, by stamp): one
  regular expression per filter, its keywords escaped and joined, made once;
- a stamp not compiled here costs one more read (the body) once; a stamp missing from Valkey
  (expired, or forgotten by a change) asks graph, which answers from Postgres and fills it.

How a change reaches readers: graph commits it with a ``FiltersChanged`` event, then forgets
the cached set. The next read on any gateway replica finds no stamp (or a new one) and loads
the new set; the old compiled set is never used again, since it is keyed by its stamp. Open
streams hear the event and reload (services/gateway/streaming/reader_facts.py). Expiry needs no
change: each filter's ``expires_at`` is checked as it is applied.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable
from typing import Any, NamedTuple, cast

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.gateway.presenters import filters as presenters
from shared import bus, viewer_cache
from shared.bounded_cache import BoundedCache
from shared.contracts import graph as graph_api
from shared.contracts.filters import FilterKeyword, FilterRecord
from shared.fastredis import FastRedis
from shared.records import StatusRecord

COMPILE_INLINE_CHARS = 5_000  # keyword characters a set may have to be compiled in line

_STARTS_WITH_WORD = re.compile(r"\A\w")
_ENDS_WITH_WORD = re.compile(r"\w\Z")


def keywords_pattern(keywords: Iterable[FilterKeyword]) -> re.Pattern[str] | None:
    """One filter's keywords as one expression: each escaped (literal text), with word
    boundaries for ``whole_word`` where the keyword starts or ends with a word character (as
    Mastodon's CustomFilterKeyword#to_regex), case-insensitive. Joined as a trie (keywords that
    share a beginning share its branch): a flat alternation of 1,000 long keywords cost ~3 ms
    a status, the trie microseconds; the flat one stays the fallback."""
    found = list(keywords)
    if not found:
        return None
    try:
        return re.compile(_trie_source(found), re.IGNORECASE)
    except (re.error, RecursionError, OverflowError):  # nested too deeply for the engine
        return re.compile(_flat_source(found), re.IGNORECASE)


def _bounds(k: FilterKeyword) -> tuple[str, str]:
    if not k.whole_word:
        return "", ""
    return (r"\b" if _STARTS_WITH_WORD.search(k.keyword) else "",
            r"\b" if _ENDS_WITH_WORD.search(k.keyword) else "")


def _flat_source(keywords: list[FilterKeyword]) -> str:
    parts = []
    for k in keywords:
        lead, tail = _bounds(k)
        parts.append(lead + re.escape(k.keyword) + tail)
    return "|".join(parts)


class _Node:
    __slots__ = ("children", "ends")

    def __init__(self) -> None:
        # By the character's lower case: (the character as first written, the node after it).
        self.children: dict[str, tuple[str, _Node]] = {}
        self.ends: set[str] = set()  # the boundary a keyword ending here needs ("" or \b)


def _trie_source(keywords: list[FilterKeyword]) -> str:
    """Keywords with a leading boundary in one trie, the others in another."""
    roots = {"": _Node(), r"\b": _Node()}
    for k in keywords:
        lead, tail = _bounds(k)
        node = roots[lead]
        for c in k.keyword:
            low = c.lower()
            key = low if len(low) == 1 else c
            if key not in node.children:
                node.children[key] = (c, _Node())
            node = node.children[key][1]
        node.ends.add(tail)
    return "|".join(lead + _emit(root) for lead, root in roots.items() if root.children)


def _emit(node: _Node) -> str:
    """The expression matching what follows ``node``: its branches (runs of single children
    written as one literal), then its end, if a keyword ends there."""
    branches = []
    for first, child in node.children.values():
        run = [first]
        while len(child.children) == 1 and not child.ends:
            [(following, child)] = child.children.values()
            run.append(following)
        branches.append(re.escape("".join(run)) + _emit(child))
    if node.ends:
        branches.append("" if "" in node.ends else r"\b")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def searchable_text(s: StatusRecord) -> str:
    """What keywords are matched against, as Mastodon's Status#searchable_text."""
    parts = [s.spoiler_text, s.text]
    if s.poll is not None:
        parts.append("\n\n".join(s.poll.options))
    return "\n\n".join(p for p in parts if p)


class _Compiled(NamedTuple):
    record: FilterRecord
    pattern: re.Pattern[str] | None
    status_ids: frozenset[int]


class Match(NamedTuple):
    """One filter matching one status, whatever the context or the time."""

    position: int  # in ReaderFilters.filters
    keyword: str | None  # the text its keywords matched first
    status_ids: tuple[int, ...]  # its status rules that name the status (or its original)


class Judgement(NamedTuple):
    """What the reader's filters do to one status in one context, now."""

    hide: bool
    results: list[dict[str, Any]]  # FilterResult objects: the status's ``filtered``


NOTHING = Judgement(False, [])


class ReaderFilters:
    """One reader's filter set (a stamp's), compiled; immutable once made."""

    def __init__(self, stamp: str, records: list[FilterRecord]) -> None:
        self.stamp = stamp
        self.filters = tuple(_Compiled(r, keywords_pattern(r.keywords),
                                       frozenset(s.status_id for s in r.statuses))
                             for r in records)
        # By the status's and its original's (id, version): an edit is a new version.
        self._matches: BoundedCache[tuple[int, int, int, int], tuple[Match, ...]] = (
            BoundedCache(2_048))

    def matches(self, status: StatusRecord, original: StatusRecord | None = None
                ) -> tuple[Match, ...]:
        """Every filter's match on ``status`` (on ``original``'s text for a reblog)."""
        proper = original if original is not None else status
        key = (status.id, status.version, proper.id, proper.version)
        found = self._matches.get(key) if status.version and proper.version else None
        if found is not None:
            return found
        text = searchable_text(proper)
        ids = (status.id,) if status.reblog_of_id is None else (status.id, status.reblog_of_id)
        matched = []
        for index, f in enumerate(self.filters):
            hit = f.pattern.search(text) if f.pattern is not None and text else None
            named = tuple(i for i in ids if i in f.status_ids)
            if hit is not None or named:
                matched.append(Match(index, hit.group(0) if hit is not None else None, named))
        found = tuple(matched)
        if status.version and proper.version:
            self._matches.put(key, found)
        return found

    def judge(self, status: StatusRecord, original: StatusRecord | None, context: str,
              now_ms: float | None = None) -> Judgement:
        """The status's FilterResults in ``context`` (filters not expired), and whether one of
        them hides it."""
        found = self.matches(status, original)
        if not found:
            return NOTHING
        now = time.time() * 1000 if now_ms is None else now_ms
        hide, results = False, []
        for m in found:
            f = self.filters[m.position].record
            if context not in f.context or (f.expires_at is not None and f.expires_at <= now):
                continue
            hide = hide or f.action == "hide"
            results.append(presenters.filter_result(
                f, [m.keyword] if m.keyword is not None else None, list(m.status_ids)))
        return Judgement(hide, results) if results else NOTHING

    def apply(self, statuses: list[StatusRecord], originals: dict[int, StatusRecord],
              context: str, *, hide: bool = True
              ) -> tuple[list[StatusRecord], dict[int, list[dict[str, Any]]]]:
        """``statuses`` without those a ``hide`` filter leaves out in ``context`` (all of them
        when not ``hide``: a status asked for by id), and the FilterResults of the statuses
        kept by status id (a reblog's under its own id and its original's: Mastodon shows them
        on both)."""
        now = time.time() * 1000
        kept, filtered = [], {}
        for s in statuses:
            original = originals.get(s.reblog_of_id) if s.reblog_of_id is not None else None
            verdict = self.judge(s, original, context, now)
            if verdict.hide and hide:
                continue
            kept.append(s)
            if verdict.results:
                filtered[s.id] = verdict.results
                if s.reblog_of_id is not None:
                    filtered[s.reblog_of_id] = verdict.results
        return kept, filtered


class FilterSets:
    """Readers' filter sets by stamp, compiled once per gateway process (bounded: the least
    recently stored out first). ``asked`` and ``compiled`` count the slow paths (graph asked,
    a set compiled): a reader without filters takes neither."""

    def __init__(self, nc: NATS, r: FastRedis | redis.Redis) -> None:
        self.nc = nc
        self.r = r
        self._by_stamp: BoundedCache[bytes, ReaderFilters] = BoundedCache(4_096)
        self.asked = 0
        self.compiled = 0

    async def _compile(self, stamp: bytes, records: list[FilterRecord]) -> ReaderFilters:
        self.compiled += 1
        size = sum(len(k.keyword) for r in records for k in r.keywords)
        # A large set (up to MAX_KEYWORD_CHARS_TOTAL: ~0.3 s to compile) off the event loop,
        # which then keeps serving everyone else meanwhile.
        made = (ReaderFilters(stamp.decode(), records) if size <= COMPILE_INLINE_CHARS
                else await asyncio.to_thread(ReaderFilters, stamp.decode(), records))
        return self._by_stamp.put(stamp, made)

    async def of(self, account_id: int, stamp: bytes | None) -> ReaderFilters | None:
        """The reader's filters named by ``stamp`` (as read from the reader's cache: None when
        it was not there), or None when the reader has none."""
        if stamp == viewer_cache.NO_FILTERS:
            return None  # the common case: no filters, no work
        if stamp is not None:
            found = self._by_stamp.get(stamp)
            if found is not None:
                return found
            [body] = cast(list[bytes | None], await self.r.hmget(
                viewer_cache.filters_key(account_id), [viewer_cache.BODY_FIELD]))
            records = viewer_cache.decode_filters(stamp, body) if body else None
            if records:
                return await self._compile(stamp, records)
        self.asked += 1
        reply = await bus.call(self.nc, graph_api.VIEWER_FILTERS,
                               graph_api.ViewerFacts(account_id=account_id))
        if not reply.filters:
            return None
        found = self._by_stamp.get(reply.stamp.encode())
        return found if found is not None else await self._compile(reply.stamp.encode(),
                                                                     reply.filters)

    async def read(self, account_id: int, *, fresh: bool = False) -> ReaderFilters | None:
        """The reader's filters, their stamp read on its own (a read that makes no other
        round trip to the reader's cache); ``fresh``: asked of graph, past the cache (a
        stream that heard ``FiltersChanged``: graph forgets the cached set only after the
        commit that sent the event, so the cache may still hold the old set then)."""
        if fresh:
            return await self.of(account_id, None)
        [stamp] = cast(list[bytes | None], await self.r.hmget(
            viewer_cache.filters_key(account_id), [viewer_cache.STAMP_FIELD]))
        return await self.of(account_id, stamp)


def stamp_command(account_id: int) -> tuple[str, str, str]:
    """The command that reads the reader's stamp, for a read to add to a round trip it makes
    (its reply: a list of one value, for ``FilterSets.of``)."""
    return ("HMGET", viewer_cache.filters_key(account_id), viewer_cache.STAMP_FIELD)
