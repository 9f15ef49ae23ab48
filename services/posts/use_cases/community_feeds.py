"""AddFeed, ListFeeds, RemoveFeed: a community's inbound feeds, managed by its owner and admins
(graph says who they are, and makes the community's bot on the first feed: ``community.bot``).
The feeds are polled by feeds/poller.py."""

from __future__ import annotations

import asyncpg
import httpx
from nats.aio.client import Client as NATS

from services.posts.store import feeds as feeds_store
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts import integrations as api
from shared.contracts.communities import CommunityBot, CommunityBotRequest
from shared.ids import new_id
from shared.settings import Settings

MAX_URL = 2000
MAX_FEEDS = 20  # per community


async def community_bot(nc: NATS, account_id: int, community_id: int, *, create: bool
                        ) -> CommunityBot:
    """The community's bot, if the account manages the community (else Forbidden/NotFound)."""
    return await bus.call(nc, graph_api.COMMUNITY_BOT, CommunityBotRequest(
        account_id=account_id, community_id=community_id, create=create))


def checked_url(raw: str) -> str:
    url = raw.strip()
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        raise errors.Invalid("Validation failed: url must be an http or https URL",
                             {"url": [(errors.INVALID, "must be an http or https URL")]})
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise errors.Invalid("Validation failed: url must be an http or https URL",
                             {"url": [(errors.INVALID, "must be an http or https URL")]})
    return url


class AddFeed:
    def __init__(self, pool: asyncpg.Pool, nc: NATS, settings: Settings) -> None:
        self.pool = pool
        self.nc = nc
        self.settings = settings

    async def __call__(self, req: api.AddFeed) -> api.FeedRecord:
        url = checked_url(req.url)
        bot = await community_bot(self.nc, req.account_id, req.community_id, create=True)
        assert bot.bot_id is not None
        async with self.pool.acquire() as conn:
            if await feeds_store.count_feeds(conn, bot.community_id) >= MAX_FEEDS:
                raise errors.Invalid(f"Validation failed: a community has at most {MAX_FEEDS} "
                                     "feeds")
            feed = await feeds_store.insert_feed(
                conn, feed_id=new_id(), community_id=bot.community_id,
                network_id=bot.network_id, bot_account_id=bot.bot_id, url=url,
                added_by=req.account_id,
                interval_s=max(1, round(self.settings.feed_interval_s)))
        if feed is None:
            raise errors.Invalid("Validation failed: the community has this feed already",
                                 {"url": [(errors.TAKEN, "is already a feed of this community")]})
        return feed


class ListFeeds:
    def __init__(self, pool: asyncpg.Pool, nc: NATS) -> None:
        self.pool = pool
        self.nc = nc

    async def __call__(self, req: api.CommunityItems) -> api.Feeds:
        bot = await community_bot(self.nc, req.account_id, req.community_id, create=False)
        async with self.pool.acquire() as conn:
            return api.Feeds(feeds=await feeds_store.feeds_of(conn, bot.community_id))


class RemoveFeed:
    def __init__(self, pool: asyncpg.Pool, nc: NATS) -> None:
        self.pool = pool
        self.nc = nc

    async def __call__(self, req: api.ItemRef) -> api.Done:
        bot = await community_bot(self.nc, req.account_id, req.community_id, create=False)
        async with self.pool.acquire() as conn:
            if not await feeds_store.delete_feed(conn, bot.community_id, req.item_id):
                raise errors.NotFound("Record not found")
        return api.Done()
