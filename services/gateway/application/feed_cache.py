"""Rendered public feeds, kept in Valkey for as long as readers may cache them (60 s), so that
a feed reader polling every minute costs one Valkey round trip, and a 304 no rendering at all.

The race, and the invariant: a feed is rendered from graph's opt-ins and posts' statuses read a
moment before it is stored; an opt-out may land in between. So every stored feed carries the
opt-in generation it was rendered under (``feed:{feeds}:gen``, incremented after each opt-in or
opt-out has been written), and a stored feed of an older generation is never served: once the
switch's request has answered, no reader gets the old feed from here. New, edited and deleted
statuses show within the TTL (what ``Cache-Control: max-age`` lets readers keep anyway).

Keys share the ``{feeds}`` hash tag: the generation and one feed are read with one MGET in a
Valkey Cluster too (one slot; feeds are small and few, and each is read at most once a minute
per reader before this cache answers)."""

from __future__ import annotations

import msgspec
import redis.asyncio as redis

TTL_S = 60
GENERATION = "feed:{feeds}:gen"


class CachedFeed(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    generation: int
    etag: str
    last_modified_ms: int
    body: bytes


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(CachedFeed).decode


def feed_key(kind: str, key: str, fmt: str) -> str:
    return f"feed:{{feeds}}:{kind}:{key}:{fmt}"


class FeedCache:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def read(self, kind: str, key: str, fmt: str) -> tuple[int, CachedFeed | None]:
        """The current generation, and the stored feed if it is of that generation."""
        raw_gen, raw_feed = await self.client.mget([GENERATION, feed_key(kind, key, fmt)])
        generation = int(raw_gen or 0)
        if raw_feed is None:
            return generation, None
        try:
            found = _decode(raw_feed if isinstance(raw_feed, bytes) else raw_feed.encode())
        except msgspec.DecodeError:
            return generation, None
        return generation, found if found.generation == generation else None

    async def store(self, kind: str, key: str, fmt: str, feed: CachedFeed) -> None:
        await self.client.set(feed_key(kind, key, fmt), _encode(feed), ex=TTL_S)

    async def opt_in_changed(self) -> None:
        """After an opt-in or opt-out is written: every stored feed is stale."""
        await self.client.incr(GENERATION)
