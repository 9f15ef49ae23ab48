"""Who gets a status in their home timeline: its author; then, by where it was posted and who
may see it, the author's followers (unless the author has too many: hybrid fanout), the
mentioned (for direct messages), the community's members (for community posts), and the
followers of its hashtags in the author's network (for public posts). Pages of ids come from
the graph service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

from nats.aio.client import Client as NATS

from shared import bus, events, followers_cache, policy
from shared.contracts import graph as graph_api
from shared.member_index import Commands

PAGE = 10_000
T = TypeVar("T")


async def prefetching(pages: AsyncIterator[T]) -> AsyncIterator[T]:
    """The same pages, the next one asked for while the caller works on this one."""
    source = aiter(pages)
    pending = asyncio.ensure_future(anext(source, None))
    try:
        while (page := await pending) is not None:
            pending = asyncio.ensure_future(anext(source, None))
            yield page
    finally:
        if not pending.done():
            pending.cancel()


async def first_followers(nc: NATS, account_id: int, threshold: int, *,
                          reblogs_only: bool = False, cache: Commands | None = None
                          ) -> list[int] | None:
    """The first page of the author's followers, or None when they are more than
    ``threshold`` (hybrid fanout): from graph's cache in Valkey when it holds them
    (shared/followers_cache.py), else one request decides and fetches (and fills it)."""
    if cache is not None:
        cached = await followers_cache.read(cache, account_id, reblogs_only=reblogs_only)
        if cached is not None:
            if cached.count > threshold:
                return None
            if cached.packed is not None:
                return graph_api.unpack_ids(cached.packed)
    reply = await bus.call(nc, graph_api.FOLLOWERS_PAGE,
                           graph_api.FollowersPage(account_id=account_id, limit=PAGE,
                                                   reblogs_only=reblogs_only,
                                                   unless_above=threshold, packed=True))
    if reply.followers_count is not None and reply.followers_count > threshold:
        return None
    return reply.follower_ids()


async def follower_pages(nc: NATS, account_id: int, *, reblogs_only: bool = False,
                         first: list[int] | None = None) -> AsyncIterator[list[int]]:
    """Pages of follower ids in id order (``first``: the first page, fetched already)."""
    after = 0
    if first is not None:
        if first:
            yield first
        if len(first) < PAGE:
            return
        after = first[-1]
    while True:
        reply = await bus.call(nc, graph_api.FOLLOWERS_PAGE,
                               graph_api.FollowersPage(account_id=account_id, after_id=after,
                                                       limit=PAGE, reblogs_only=reblogs_only,
                                                       packed=True))
        ids = reply.follower_ids()
        if ids:
            yield ids
        if len(ids) < PAGE:
            return
        after = ids[-1]


async def member_pages(nc: NATS, community_id: int, *, followers_of: int | None = None
                       ) -> AsyncIterator[list[int]]:
    after = 0
    while True:
        reply = await bus.call(nc, graph_api.COMMUNITY_MEMBER_IDS,
                               graph_api.CommunityMemberIds(community_id=community_id,
                                                            after_id=after, limit=PAGE,
                                                            followers_of=followers_of))
        if reply.ids:
            yield reply.ids
        if len(reply.ids) < PAGE:
            return
        after = reply.ids[-1]


def reaches_followers(event: events.StatusCreated) -> bool:
    """Followers' home timelines (and so the author's own timeline) take it: not a direct
    message (the mentioned only), not a community post (the members only)."""
    return event.visibility != policy.DIRECT and event.community_id is None


async def home_recipients(nc: NATS, event: events.StatusCreated, *,
                          followers: list[int] | None, tags_followed: bool = True
                          ) -> AsyncIterator[list[int]]:
    """Pages of readers, the author first in the first page (one timeline write for both).
    ``followers``: the first page of the author's followers, or None to leave them out (hybrid
    fanout: they merge the author's own timeline when they read). ``tags_followed``: False when
    graph's index says nobody follows any of the status's hashtags (graph is not asked)."""
    author = [event.account_id]
    async for page in _other_recipients(nc, event, followers=followers,
                                        tags_followed=tags_followed):
        yield author + page if author else page
        author = []
    if author:
        yield author


async def _other_recipients(nc: NATS, event: events.StatusCreated, *,
                            followers: list[int] | None, tags_followed: bool
                            ) -> AsyncIterator[list[int]]:
    """Pages of the readers other than the author (none of them empty)."""
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
    if followers is not None:
        async for page in follower_pages(nc, event.account_id, first=followers):
            yield page
    if tags_followed and event.tags and event.visibility == policy.PUBLIC:
        reply = await bus.call(nc, graph_api.TAG_FOLLOWER_IDS,
                               graph_api.TagFollowerIds(tags=list(event.tags),
                                                        network_id=event.network_id))
        if reply.ids:
            yield reply.ids
