"""The graph's NATS API for public feeds: the opt-in flags, and which scopes are opted in."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.store import feeds as feeds_store
from services.graph.use_cases.community_feed import SetCommunityFeed, community_feed
from shared import errors
from shared.contracts import feeds as api
from shared.contracts import graph as graph_api
from shared.service_host import ServiceHost

MAX_ASKED = 200  # ids or names per scopes question (the gateway asks for one feed at a time)


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def account_get(req: api.AccountFeedRef) -> api.AccountFeed:
        async with pool.acquire() as conn:
            on = await feeds_store.account_feed(conn, req.account_id)
        if on is None:
            raise errors.NotFound("Record not found")
        return api.AccountFeed(account_id=req.account_id, public_feed=on)

    async def account_set(req: api.SetAccountFeed) -> api.AccountFeed:
        async with pool.acquire() as conn:
            on = await feeds_store.set_account_feed(conn, req.account_id, req.public_feed)
        if on is None:
            raise errors.NotFound("Record not found")
        return api.AccountFeed(account_id=req.account_id, public_feed=on)

    async def community_get(req: api.CommunityFeedRef) -> api.CommunityFeed:
        return await community_feed(pool, req)

    async def scopes(req: api.FeedScopesQuery) -> api.FeedScopes:
        async with pool.acquire() as conn:
            accounts = (await feeds_store.opted_in_accounts(
                conn, req.account_ids[:MAX_ASKED], req.usernames[:MAX_ASKED])
                if req.account_ids or req.usernames else [])
            communities = (await feeds_store.opted_in_communities(
                conn, req.community_ids[:MAX_ASKED]) if req.community_ids else [])
        return api.FeedScopes(accounts=accounts, communities=communities)

    async def world(req: api.WorldQuery) -> api.WorldScopes:
        async with pool.acquire() as conn:
            accounts, communities = await feeds_store.world(
                conn, max(1, min(req.limit, api.MAX_WORLD)))
        return api.WorldScopes(account_ids=accounts, community_ids=communities)

    host.serve(graph_api.FEED_ACCOUNT_GET, account_get)
    host.serve(graph_api.FEED_ACCOUNT_SET, account_set)
    host.serve(graph_api.FEED_COMMUNITY_GET, community_get)
    host.serve(graph_api.FEED_COMMUNITY_SET, SetCommunityFeed(pool))
    host.serve(graph_api.FEED_SCOPES, scopes)
    host.serve(graph_api.FEED_WORLD, world)
