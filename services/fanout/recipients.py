"""Who gets a status in their home timeline: its author; then, by where it was posted and who
may see it, the author's followers, the mentioned (for direct messages), the community's members
(for community posts), and the followers of its hashtags in the author's network (for public
posts). Pages of ids come from the graph service."""

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


async def member_pages(nc: NATS, community_id: int, *, followers_of: int | None = None
                       ) -> AsyncIterator[list[int]]:
    after = 0
    while True:
        reply = await bus.request(nc, "graph", "community.member_ids",
                                  graph_api.CommunityMemberIds(community_id=community_id,
                                                               after_id=after, limit=PAGE,
                                                               followers_of=followers_of),
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
    if event.community_id is not None:
        # A community post stays in the community: its members, not the author's followers;
        # a private one only the members who follow its author (as the policy says).
        private = event.visibility == policy.PRIVATE
        async for page in member_pages(nc, event.community_id,
                                       followers_of=event.account_id if private else None):
            yield page
        return
    async for page in follower_pages(nc, event.account_id):
        yield page
    if event.tags and event.visibility == policy.PUBLIC:
        reply = await bus.request(nc, "graph", "tag.follower_ids",
                                  graph_api.TagFollowerIds(tags=list(event.tags),
                                                           network_id=event.network_id),
                                  graph_api.Ids)
        if reply.ids:
            yield reply.ids
