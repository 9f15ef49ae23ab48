"""Reading timelines: pages of one or several timelines, and everything a home read needs from
Redis in one round trip.

Timelines are sorted sets of status ids. Ids are 64-bit and exceed float64's exact range, so
members are fixed-width decimal strings (``shared.ids.member``) with score 0: Redis then orders
them lexicographically, which for equal widths is numeric order, and ``BYLEX`` ranges give exact
``max_id``/``since_id``/``min_id``. Members are the ids reversed (shared/ids.py: newest first,
the cheap end of a listpack for the writes): a page newest first is an ascending range from
``max_id``, one just above ``min_id`` a descending range from it.

The readers take either client (``ReadClient``): the gateway's hot paths read through the lean one
(shared/fastredis), which offers these reads with redis-py's signatures and reply types.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec
import redis.asyncio as redis
from redis.asyncio.client import Pipeline

from shared import fastredis
from shared.fastredis import FastRedis
from shared.ids import MEMBER_WIDTH, member_bound, member_id
from shared.records import (
    LAST_READ_KEY,
    big_followees_key,
    home_key,
    own_key,
    own_reblogs_key,
    rebuilding_key,
)

ReadClient = redis.Redis | FastRedis  # a client the page reads take (the same commands on either)
ReadPipeline = Pipeline | fastredis.Pipeline  # and their pipelines


class Bounds(msgspec.Struct, frozen=True, kw_only=True):
    """A page request, Mastodon's semantics: ``max_id`` and ``since_id`` are exclusive bounds;
    ``min_id`` asks for the ``limit`` entries just above it (for paging forward)."""

    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None


def _range(b: Bounds) -> tuple[tuple[str, str], dict[str, Any]]:
    """ZRANGE arguments for a page, newest first unless ``min_id`` (then oldest first).
    Reversed members: newer than an id is lexicographically below its member."""
    newest = f"({member_bound(b.max_id)}" if b.max_id is not None else "-"
    if b.min_id is not None:
        return ((f"({member_bound(b.min_id)}", newest),
                {"desc": True, "bylex": True, "offset": 0, "num": b.limit})
    oldest = f"({member_bound(b.since_id)}" if b.since_id is not None else "+"
    return (newest, oldest), {"bylex": True, "offset": 0, "num": b.limit}


def _queue_range(pipe: ReadPipeline, key: str, b: Bounds) -> None:
    args, kwargs = _range(b)
    pipe.zrange(key, *args, **kwargs)


def _ids(found: list[bytes]) -> list[int]:
    return [member_id(m) for m in found if len(m) == MEMBER_WIDTH]


def combine(pages: list[list[int]], b: Bounds) -> list[int]:
    """The page of the union of several timelines: each page holds that timeline's ``limit``
    entries nearest the bound, so the union's ``limit`` nearest are among them. Newest first."""
    union = set().union(*pages) if pages else set()
    if b.min_id is not None:
        return sorted(union)[:b.limit][::-1]
    return sorted(union, reverse=True)[:b.limit]


async def page(
    r: ReadClient, key: str, *, limit: int, max_id: int | None = None,
    since_id: int | None = None, min_id: int | None = None,
) -> list[int]:
    """One timeline's page, newest first."""
    b = Bounds(limit=limit, max_id=max_id, since_id=since_id, min_id=min_id)
    args, kwargs = _range(b)
    # no scores asked and replies not decoded: members as bytes
    found = cast(list[bytes], await r.zrange(key, *args, **kwargs))
    return combine([_ids(found)], b)


class Followee(msgspec.Struct, array_like=True, frozen=True):
    id: int
    reblogs: bool = True


_followees_encoder = msgspec.json.Encoder()
_followees_decoder = msgspec.json.Decoder(list[Followee])


class HomeState(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]  # the page of the home timeline itself
    last_read: int | None  # Unix seconds
    rebuilding: bool
    big_followees: list[Followee] | None  # None: not cached, ask the graph


async def home_state(r: ReadClient, account_id: int, b: Bounds) -> HomeState:
    """Everything a home read needs from Redis before hydration, in one round trip."""
    pipe = r.pipeline(transaction=False)
    queue_home_state(pipe, account_id, b)
    return parse_home_state(await pipe.execute(), b)


HOME_STATE_REPLIES = 4  # how many replies queue_home_state adds to a pipeline


def queue_home_state(pipe: ReadPipeline, account_id: int, b: Bounds) -> None:
    """home_state's commands, on a pipeline that may carry others (the reader's own)."""
    _queue_range(pipe, home_key(account_id), b)
    pipe.zscore(LAST_READ_KEY, account_id)
    pipe.exists(rebuilding_key(account_id))
    pipe.get(big_followees_key(account_id))


def parse_home_state(replies: list[Any], b: Bounds) -> HomeState:
    found, last_read, rebuilding, big = replies
    return HomeState(
        ids=combine([_ids(found)], b),
        last_read=int(last_read) if last_read is not None else None,
        rebuilding=bool(rebuilding),
        big_followees=_followees_decoder.decode(big) if big is not None else None)


async def cache_big_followees(r: redis.Redis, account_id: int, followees: list[Followee],
                              ttl_s: int) -> None:
    await r.set(big_followees_key(account_id), _followees_encoder.encode(followees), ex=ttl_s)


def queue_author_pages(pipe: ReadPipeline, authors: list[Followee], b: Bounds) -> None:
    """Queue the reads of these authors' own timelines (with their reblogs where the reader
    wants them); ``author_pages_from`` turns their replies into pages."""
    for author in authors:
        _queue_range(pipe, own_key(author.id), b)
        if author.reblogs:
            _queue_range(pipe, own_reblogs_key(author.id), b)


def author_pages_from(replies: list[list[bytes]]) -> list[list[int]]:
    return [_ids(found) for found in replies]


async def author_pages(r: ReadClient, authors: list[Followee], b: Bounds) -> list[list[int]]:
    """Pages of these authors' own timelines (with their reblogs where the reader wants them)."""
    pipe = r.pipeline(transaction=False)
    queue_author_pages(pipe, authors, b)
    return author_pages_from(await pipe.execute())
