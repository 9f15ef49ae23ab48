"""The graph service's NATS API: thin adapters from request Structs to use cases."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, store
from services.graph.use_cases.authenticate import Authenticate
from services.graph.use_cases.follow_account import FollowAccount, UnfollowAccount, relationship
from services.graph.use_cases.register_account import RegisterAccount
from shared import errors
from shared.bus import ServiceHost
from shared.contracts import graph as api


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def get_accounts(req: api.GetAccounts) -> api.Accounts:
        async with pool.acquire() as conn:
            accounts = await store.accounts_by_ids(conn, req.ids[:200])
        await account_cache.put(cache, accounts)
        return api.Accounts(accounts=accounts)

    async def lookup_accounts(req: api.LookupAccounts) -> api.Accounts:
        async with pool.acquire() as conn:
            return api.Accounts(accounts=await store.accounts_by_usernames(conn,
                                                                           req.usernames[:200]))

    async def relationships(req: api.GetRelationships) -> api.Relationships:
        async with pool.acquire() as conn:
            return api.Relationships(relationships=[
                await relationship(conn, req.account_id, other) for other in req.ids[:100]
            ])

    async def follower_ids(req: api.FollowerIds) -> api.Ids:
        async with pool.acquire() as conn:
            return api.Ids(ids=await store.follower_ids(conn, req.account_id, req.after_id,
                                                        min(req.limit, 50_000),
                                                        reblogs_only=req.reblogs_only))

    async def viewer_facts(req: api.ViewerFacts) -> api.ViewerFactsReply:
        async with pool.acquire() as conn:
            network_id = await conn.fetchval("SELECT network_id FROM accounts WHERE id = $1",
                                             req.account_id)
            if network_id is None:
                raise errors.NotFound("Record not found")
            return api.ViewerFactsReply(
                account_id=req.account_id, network_id=network_id,
                following=await store.following_ids(conn, req.account_id),
                communities=await store.community_ids(conn, req.account_id),
                blocked=await store.blocked_either_way(conn, req.account_id),
                muted=await store.muted_ids(conn, req.account_id))

    register_account = RegisterAccount(pool)
    authenticate = Authenticate(pool)
    follow = FollowAccount(pool, cache)
    unfollow = UnfollowAccount(pool, cache)

    async def create_account(req: api.RegisterAccount):
        account = await register_account(req)
        await account_cache.put(cache, [account])
        return account

    host.add("account.create", api.RegisterAccount, create_account)
    host.add("account.authenticate", api.Authenticate, authenticate)
    host.add("account.get", api.GetAccounts, get_accounts)
    host.add("account.lookup", api.LookupAccounts, lookup_accounts)
    host.add("follow.create", api.Follow, follow)
    host.add("follow.remove", api.Unfollow, unfollow)
    host.add("relationships", api.GetRelationships, relationships)
    host.add("followers.ids", api.FollowerIds, follower_ids)
    host.add("viewer.facts", api.ViewerFacts, viewer_facts)

    async def tag_follower_ids(req: api.TagFollowerIds) -> api.Ids:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT f.account_id FROM followed_tags f "
                "JOIN accounts a ON a.id = f.account_id "
                "WHERE f.tag = ANY($1::text[]) AND a.network_id = $2 AND a.deactivated_at IS NULL",
                [t.lower() for t in req.tags[:20]], req.network_id)
        return api.Ids(ids=[row["account_id"] for row in rows])

    host.add("tag.follower_ids", api.TagFollowerIds, tag_follower_ids)
