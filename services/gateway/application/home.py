"""The reader's home timeline page: the home read model, merged with the followees above the
fanout threshold (hybrid fanout), rebuilt when the reader was away. Shared by the Litestar route
(routes/timelines.py) and the express lane (services/gateway/express.py), which serves the same
answer without the framework."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import hiredis

from services.gateway import params, responses
from services.gateway.application.timelines import PageParams, clamp
from services.gateway.context import Gateway, active
from services.gateway.tokens import Caller
from shared import bus, errors, viewer_cache
from shared.bounded_cache import BoundedCache
from shared.contracts import fanout as fanout_api
from shared.contracts import graph as graph_api
from shared.fastredis import FastRedis
from shared.ids import parse_id
from shared.records import account_key
from shared.timelines import activity, reads

log = logging.getLogger(__name__)

REBUILD_WAIT_S = 1.5  # a read waits this long for a rebuild, then answers 206 with what is there


BIG_FOLLOWEES_TTL_S = 60  # the reader's followees above the fanout threshold, cached


MARK_READ_EVERY_S = 60  # a home read is recorded at most this often


async def _rebuilt(gw: Gateway, account_id: int) -> bool:
    """Ask fanout to rebuild the reader's home timeline; True when it is complete now."""
    try:
        reply = await bus.call(gw.nc, fanout_api.HOME_REBUILD,
                               fanout_api.RebuildHome(account_id=account_id),
                               timeout=REBUILD_WAIT_S)
    except errors.HubbubError as exc:  # still running, or fanout away: serve what is there
        log.info("home rebuild of %d not done: %s", account_id, exc.message)
        return False
    return reply.state == fanout_api.DONE


async def _big_followees(gw: Gateway, account_id: int, cached: list[reads.Followee] | None
                         ) -> list[reads.Followee]:
    if cached is not None:
        return cached
    reply = await bus.call(
        gw.nc, graph_api.FOLLOWEES_BIG,
        graph_api.BigFollowees(account_id=account_id,
                               threshold=gw.settings.fanout_follower_threshold))
    no_reblogs = set(reply.no_reblogs)
    found = [reads.Followee(i, i not in no_reblogs) for i in reply.ids]
    await reads.cache_big_followees(gw.redis.main, account_id, found, BIG_FOLLOWEES_TTL_S)
    return found


async def home_page(gw: Gateway, account_id: int, bounds: reads.Bounds,
                    state: reads.HomeState, author_pages: list[list[int]] | None = None
                    ) -> tuple[list[int], bool]:
    """The page's ids and whether the timeline is partial (being rebuilt). The home timeline
    itself (``state``, read with the request's first round trip), merged with the own
    timelines of followees above the fanout threshold (hybrid fanout): each source gives its
    ``limit`` entries nearest the bound, so the merged page is exact. One more Redis round trip
    when the reader follows such authors, unless their pages were read with ``state``
    (``author_pages``: those of ``state.big_followees``)."""
    settings = gw.settings
    partial = state.rebuilding
    if not partial and activity.needs_rebuild(state.last_read, settings.inactive_days):
        # Inactive (or Redis lost it): fanout skipped this reader. Rebuild from Postgres.
        if await _rebuilt(gw, account_id):
            state = await reads.home_state(gw.redis.lean, account_id, bounds)
            author_pages = None  # read before the rebuild: read them again
        else:
            partial = True
    elif not partial and state.last_read is not None and (
            state.last_read < time.time() - MARK_READ_EVERY_S):
        # Refreshed, never re-created: Redis may have lost the record (and the timeline with
        # it) since ``state`` was read; then the next read must rebuild (activity.py).
        await activity.refresh_read(gw.redis.main, account_id)
    if state.big_followees is None:
        author_pages = None
    big = await _big_followees(gw, account_id, state.big_followees)
    ids = state.ids
    if big:
        if author_pages is None:
            author_pages = await reads.author_pages(gw.redis.lean, big, bounds)
        ids = reads.combine([ids, *author_pages], bounds)
    return ids, partial


def _home_bounds(query: Sequence[tuple[str, str]]) -> reads.Bounds:
    """The page a home read asks for (422 for a bad parameter). Most reads ask one of a few
    (``limit=20``; the cursors of the pages just read): kept, bounded, as queries come from
    clients."""
    key = tuple(query)
    found = _bounds_by_query.get(key)
    if found is None:
        p = params.convert(params.merged(query), PageParams)
        found = _bounds_by_query.put(key, reads.Bounds(
            limit=clamp(p.limit), max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
            min_id=parse_id(p.min_id)))
    return found


_bounds_by_query: BoundedCache[tuple[tuple[str, str], ...], reads.Bounds] = BoundedCache(10_000)


class _Prepared(NamedTuple):
    """A pipeline's commands packed, and how to convert their replies."""

    packed: bytes
    convert: list[Any]


def _first_reads(fast: FastRedis, account_id: int, bounds: reads.Bounds,
                 big: list[reads.Followee] | None) -> _Prepared:
    """A home read's first round trip (the same for every read of this reader and page):
    packed once, kept (bounded). With the pages of ``big`` (the followees above the fanout
    threshold that the last read found), as reads.author_pages reads them."""
    key = (account_id, bounds, *(big or ()))
    found = _first_reads_by_key.get(key)
    if found is None:
        pipe = fast.pipeline()
        pipe.mget([account_key(account_id)])
        pipe.get(viewer_cache.hidden_key(account_id))
        pipe.hmget(viewer_cache.filters_key(account_id), [viewer_cache.STAMP_FIELD])
        reads.queue_home_state(pipe, account_id, bounds)
        reads.queue_author_pages(pipe, list(big or ()), bounds)
        found = _first_reads_by_key.put(key, _Prepared(
            b"".join([hiredis.pack_command(c) for c in pipe.commands]), pipe.convert))
    return found


_first_reads_by_key: BoundedCache[tuple[Any, ...], _Prepared] = BoundedCache(10_000)


# By reader: the followees above the fanout threshold that its last home read found (their
# cache in Redis, read in the first round trip, says whether they are still those).
_big_followees_seen: BoundedCache[int, list[reads.Followee]] = BoundedCache(10_000)


class PageReply(NamedTuple):
    """A timeline page ready to send: status code, JSON body, Link header (None: no entries)."""

    status: int
    body: bytes
    link: str | None


async def read_home(gw: Gateway, caller: Caller, path: str,
                    query: Sequence[tuple[str, str]]) -> PageReply:
    """The reader's home timeline page. Shared by the Litestar route and the express lane
    (services/gateway/express.py), which serves the same answer without the framework."""
    assert caller.account_id is not None  # signed_in checked it
    bounds = _home_bounds(query)
    # One round trip for the reader's account, hidden accounts, content filters' stamp and
    # home timeline state, and the pages of the followees above the fanout threshold that the
    # last read found.
    known = _big_followees_seen.get(caller.account_id)
    first = _first_reads(gw.redis.lean, caller.account_id, bounds, known)
    replies = await gw.redis.lean.execute_packed(first.packed, len(first.convert))
    [raw_me], raw_hidden, [filters_stamp], *rest = [
        convert(reply) if convert else reply
        for reply, convert in zip(replies, first.convert, strict=True)]
    state = reads.parse_home_state(rest[:reads.HOME_STATE_REPLIES], bounds)
    author_pages = None
    if known is not None and state.big_followees == known:
        author_pages = reads.author_pages_from(rest[reads.HOME_STATE_REPLIES:])
    elif state.big_followees is not None:
        _big_followees_seen.put(caller.account_id, state.big_followees)
    me = active(gw.hydrator.account_from(raw_me) if raw_me is not None
                else await gw.hydrator.account(caller.account_id))
    ids, partial = await home_page(gw, me.id, bounds, state, author_pages)
    # Never the same status twice on a page: fanout leaves out a reblog of what the timeline
    # holds, but a big author's post is merged at read time, so its reblogs are checked here.
    # A reader without content filters has the NO_FILTERS stamp: None here, no filter work.
    filters = await gw.hydrator.filters.of(me.id, filters_stamp)
    body = await gw.hydrator.page(ids, me.id, hidden=await gw.hidden(me.id, cached=raw_hidden),
                                  once_per_original=True, filters=filters, context="home")
    # Page edges come from the timeline, not from what survived filtering: a page whose entries
    # were all hidden must still lead on to the next one.
    link = responses.cursor_link(gw.base_url, path, query, ids[0], ids[-1]) if ids else None
    # 206 while a rebuild runs, as Mastodon answers: what is there, more to come.
    return PageReply(206 if partial else 200, body, link)
