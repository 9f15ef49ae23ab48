"""Inbound feeds and incoming webhooks for tests: a community with its owner, the feeds API, and
the posts service's feed poller paused (the test polls when it means to) or run as other
replicas (their own pools, as other processes would have)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import msgspec

from services.posts.feeds.poller import FeedPoller
from services.posts.use_cases.post_status import PostStatus
from tests.helpers import Api, User
from tests.helpers.communities import create

BASE = "/api/hubbub/v1/communities"


async def owned_community(api: Api, domain: str | None = None) -> tuple[User, dict[str, Any]]:
    owner = await api.user(domain=domain) if domain else await api.user()
    return owner, await create(api, owner)


async def add_feed(api: Api, user: User, community_id: str, url: str) -> httpx.Response:
    return await api.client.post(f"{BASE}/{community_id}/feeds", headers=user.headers,
                                 json={"url": url})


async def added(api: Api, user: User, community_id: str, url: str) -> dict[str, Any]:
    r = await add_feed(api, user, community_id, url)
    assert r.status_code == 200, r.text
    return r.json()


async def feed_list(api: Api, user: User, community_id: str) -> list[dict[str, Any]]:
    r = await api.client.get(f"{BASE}/{community_id}/feeds", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def feed_state(api: Api, user: User, community_id: str, feed_id: str) -> dict[str, Any]:
    [found] = [f for f in await feed_list(api, user, community_id) if f["id"] == feed_id]
    return found


async def make_due(api: Api, feed_id: str) -> None:
    """The feed due now (its interval, or its backoff, skipped in the store)."""
    await api.stack.posts.pool.execute(
        "UPDATE community_feeds SET next_poll_at = now() WHERE id = $1", int(feed_id))


async def community_texts(api: Api, community_id: str) -> list[str]:
    """The texts of the community's statuses as stored, oldest first."""
    rows = await api.stack.posts.pool.fetch(
        "SELECT text FROM statuses WHERE community_id = $1 AND deleted_at IS NULL ORDER BY id",
        int(community_id))
    return [row["text"] for row in rows]


def poller_of(api: Api) -> FeedPoller:
    poller: FeedPoller = api.stack.posts.feed_poller
    return poller


@asynccontextmanager
async def poller_paused(api: Api) -> AsyncIterator[FeedPoller]:
    """The stack's poller, stopped for the block (its instance still polls when called)."""
    poller = poller_of(api)
    await poller.stop()
    try:
        yield poller
    finally:
        await poller.start()


def another_poller(api: Api, pool: asyncpg.Pool | None = None, **changes: Any) -> FeedPoller:
    """A poller as another posts replica (or a restarted one) would run it; ``changes``:
    settings of its own (a shorter time limit)."""
    posts = api.stack.posts
    settings = msgspec.structs.replace(posts.settings, **changes)
    pool = pool or posts.pool
    return FeedPoller(pool, PostStatus(pool, posts.redis.main, posts.nc, settings), settings)
