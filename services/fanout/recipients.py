"""Who gets a status in their home timeline: its author and, by visibility, followers or the
mentioned. Followers come from the graph service in pages of ids."""

from __future__ import annotations

from collections.abc import AsyncIterator

from nats.aio.client import Client as NATS

from shared import bus, events, policy
from shared.contracts import graph as graph_api

PAGE = 10_000


async def follower_pages(nc: NATS, account_id: int, *, reblogs_only: bool = False
                         ) -> AsyncIterator[list[int]]:
    after = 0
    while True:
        reply = await bus.request(nc, "graph", "followers.ids",
                                  graph_api.FollowerIds(account_id=account_id, after_id=after,
                                                        limit=PAGE, reblogs_only=reblogs_only),
                                  graph_api.Ids)
        if reply.ids:
            yield reply.ids
        if len(reply.ids) < PAGE:
            return
        after = reply.ids[-1]


async def home_recipients(nc: NATS, event: events.StatusCreated) -> AsyncIterator[list[int]]:
    yield [event.account_id]
    if event.visibility == policy.DIRECT:
        if event.mentions:
            yield list(event.mentions)
        return
    async for page in follower_pages(nc, event.account_id):
        yield page
