"""Live deliveries to users (``hubbub.live.users``: one message naming up to BATCH recipients,
which every gateway hands to those connected to it; core NATS, at-most-once).

A publish per recipient cost fanout, NATS and every gateway per reader; a batch costs each a
few bytes per reader. Past a handful of recipients fanout names only those with a streaming
connection open (shared/presence), and
for an author above the hybrid threshold it goes from the online users to those among them who
follow the author, never through 100,000 followers. With no gateway tracking presence, every
recipient gets the publish, as before."""

from __future__ import annotations

import time

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.fanout.recipients import follower_pages
from shared import bus, metrics, presence, subjects, tracing
from shared.contracts import graph as graph_api
from shared.contracts import live
from shared.fastredis import FastRedis
from shared.timelines.batching import chunks

FEW = 32  # below this, asking who is online costs more than naming them all
BATCH = 2_000  # recipients per message (8 bytes or so each)
AMONG_PAGE = 10_000


ONLINE_RECOUNT_S = 10.0  # how long the count of online users steers ``online`` (below)


class LivePublisher:
    def __init__(self, nc: NATS, r: redis.Redis, lean: FastRedis | None = None) -> None:
        self.nc = nc
        self.r = r
        self.lean = lean  # the lean client, for the presence check of every page
        self._online_count = 0  # as last seen; 0: not known (look)
        self._counted_at = 0.0

    async def online(self, readers: list[int]) -> list[int]:
        """Those of the readers to publish to. With fewer users online than readers (a page of
        thousands of followers, a few percent online), everyone online comes in one reply and
        is matched here; else Redis is asked about each reader. Both read the same set at the
        same moment. (Measured in the fanout benchmark, 1% online: asking about each of a page
        of 10,000 readers cost Redis ~0.6 us and fanout ~0.8 us a reader, most of it packing
        and parsing 10,000 ids.)"""
        if len(readers) <= FEW:
            return readers
        if time.monotonic() - self._counted_at > ONLINE_RECOUNT_S:
            self._online_count = 0
        if self._online_count <= len(readers):
            everyone = await presence.online(self.lean or self.r)
            if everyone is None:
                return readers
            self._online_count, self._counted_at = len(everyone), time.monotonic()
            here = set(everyone)
            return [i for i in readers if i in here]
        return await presence.online_among(self.lean or self.r, readers)

    async def publish(self, readers: list[int], message: live.LiveMessage) -> None:
        trace = tracing.headers()  # the consume span's context, when tracing is on
        for batch in chunks(readers, BATCH):
            await self.nc.publish(subjects.live_users(), live.encode_batch(message, batch),
                                  headers=trace)
        metrics.LIVE_PUBLISHED.labels(message.event).inc(len(readers))

    async def to_users(self, readers: list[int], message: live.LiveMessage) -> None:
        await self.publish(await self.online(readers), message)

    async def to_followers(self, author_id: int, message: live.LiveMessage) -> None:
        """The author's followers who are online (all of them when presence is not tracked)."""
        online = await presence.online(self.r)
        if online is None:
            async for page in follower_pages(self.nc, author_id):
                await self.publish(page, message)
            return
        for batch in chunks(online, AMONG_PAGE):
            reply = await bus.call(self.nc, graph_api.FOLLOWERS_AMONG,
                                   graph_api.FollowersAmong(account_id=author_id, ids=batch))
            await self.publish(reply.ids, message)
