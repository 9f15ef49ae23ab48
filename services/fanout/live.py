"""Live deliveries to users (``hubbub.live.user.<id>``, core NATS, at-most-once).

One publish per recipient is what fanout pays most for at scale, so past a handful of
recipients it publishes only to those with a streaming connection open (shared/presence), and
for an author above the hybrid threshold it goes from the online users to those among them who
follow the author, never through 100,000 followers. With no gateway tracking presence, every
recipient gets the publish, as before."""

from __future__ import annotations

import redis.asyncio as redis
from nats.aio.client import Client as NATS

from services.fanout.recipients import follower_pages
from shared import bus, metrics, presence, subjects
from shared.contracts import graph as graph_api
from shared.contracts import live
from shared.timelines import chunks

FEW = 32  # below this, asking who is online costs more than publishing to all
AMONG_PAGE = 10_000


class LivePublisher:
    def __init__(self, nc: NATS, r: redis.Redis) -> None:
        self.nc = nc
        self.r = r

    async def online(self, readers: list[int]) -> list[int]:
        """Those of the readers to publish to."""
        if len(readers) <= FEW:
            return readers
        return await presence.online_among(self.r, readers)

    async def publish(self, readers: list[int], message: live.LiveMessage) -> None:
        data = live.encode(message)
        publish = self.nc.publish
        for reader in readers:
            await publish(subjects.live_user(reader), data)
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
            reply = await bus.request(self.nc, "graph", "followers.among",
                                      graph_api.FollowersAmong(account_id=author_id, ids=batch),
                                      graph_api.Ids)
            await self.publish(reply.ids, message)
