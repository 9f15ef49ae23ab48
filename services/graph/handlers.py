"""The graph service's NATS API: thin adapters from request Structs to use cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, roles, store
from services.graph.passwords import Passwords
from services.graph.use_cases import scim_groups, scim_tokens, scim_users
from services.graph.use_cases.authenticate import Authenticate
from services.graph.use_cases.follow_account import FollowAccount, UnfollowAccount
from services.graph.use_cases.followed_tags import FollowTag, UnfollowTag, normalize_tag
from services.graph.use_cases.network_admin import (
    DeactivateMember,
    InviteToNetwork,
    RenameOrCloseNetwork,
    network_view,
)
from services.graph.use_cases.network_roles import ChangeNetworkRole, ReadAuditLog
from services.graph.use_cases.register_account import USERNAME
from services.graph.use_cases.sso_settings import (
    ConfigureIdentityProvider,
    GetSsoSettings,
    ProviderForSignIn,
    RemoveIdentityProvider,
)
from services.graph.use_cases.sso_sign_in import SignInWithProvider
from services.graph.use_cases.suggestions import SuggestAccounts
from services.graph.use_cases.update_profile import UpdateProfile, credential_account
from shared import errors, followers_cache
from shared.cache import CacheClient
from shared.contracts import graph as api
from shared.contracts import scim as scim_api
from shared.records import AccountRecord
from shared.service_host import ServiceHost
from shared.settings import Settings


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis,
             passwords: Passwords | None = None, *, lean: CacheClient | None = None) -> None:
    """``lean``: the lean client (shared/fastredis) for the account cache on the hot reads
    (accounts by id, fanout's follower pages); ``cache`` for everything else."""
    passwords = passwords or Passwords(Settings().password_checks)
    hot = lean or cache

    async def get_accounts(req: api.GetAccounts) -> api.Accounts:
        return api.Accounts(accounts=await account_cache.read_and_fill(hot, pool,
                                                                        req.ids[:200]))

    async def lookup_accounts(req: api.LookupAccounts) -> api.Accounts:
        async with pool.acquire() as conn:
            return api.Accounts(accounts=await store.accounts_by_usernames(conn,
                                                                           req.usernames[:200]))

    async def relationships(req: api.GetRelationships) -> api.Relationships:
        async with pool.acquire() as conn:
            return api.Relationships(relationships=await store.relationships(
                conn, req.account_id, req.ids[:100]))

    async def follower_ids(req: api.FollowerIds) -> api.Ids:
        async with pool.acquire() as conn:
            return api.Ids(ids=await store.follower_ids(conn, req.account_id, req.after_id,
                                                        min(req.limit, 50_000),
                                                        reblogs_only=req.reblogs_only,
                                                        notify_only=req.notify_only))

    async def viewer_facts(req: api.ViewerFacts) -> api.ViewerFactsReply:
        async with pool.acquire() as conn:
            facts = await store.viewer_facts(conn, req.account_id)
        if facts is None:
            raise errors.NotFound("Record not found")
        return facts

    authenticate = Authenticate(pool, passwords)
    follow = FollowAccount(pool, cache)
    unfollow = UnfollowAccount(pool, cache)

    host.serve(api.ACCOUNT_AUTHENTICATE, authenticate)
    host.serve(api.ACCOUNT_GET, get_accounts)
    host.serve(api.ACCOUNT_LOOKUP, lookup_accounts)
    host.serve(api.FOLLOW_CREATE, follow)
    host.serve(api.FOLLOW_REMOVE, unfollow)
    host.serve(api.RELATIONSHIPS, relationships)
    host.serve(api.FOLLOWERS_IDS, follower_ids)
    host.serve(api.VIEWER_FACTS, viewer_facts)

    async def tag_follower_ids(req: api.TagFollowerIds) -> api.Ids:
        async with pool.acquire() as conn:
            ids = await store.tag_follower_ids(conn, [t.lower() for t in req.tags[:20]],
                                               req.network_id)
        return api.Ids(ids=ids)

    host.serve(api.TAG_FOLLOWER_IDS, tag_follower_ids)

    async def visible_accounts(req: api.VisibleAccounts) -> api.Ids:
        async with pool.acquire() as conn:
            ids = await store.visible_account_ids(conn, req.reader_id, req.ids[:200])
        return api.Ids(ids=ids)

    host.serve(api.ACCOUNT_VISIBLE, visible_accounts)

    register_profiles(host, pool, cache)
    register_tags(host, pool, cache)
    register_network(host, pool, cache)
    register_timelines(host, pool, hot)
    register_scim(host, pool, cache)


# (conn, account_id, reader_id, page) -> a page of followers or followings
AccountLister = Callable[[asyncpg.Connection, int, int, api.IdPage],
                         Awaitable[list[AccountRecord]]]


def register_profiles(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def credentials(req: api.GetCredentials) -> api.CredentialAccount:
        async with pool.acquire() as conn:
            accounts = await store.accounts_by_ids(conn, [req.account_id])
            defaults = await store.posting_defaults(conn, req.account_id)
        if not accounts or defaults is None:
            raise errors.NotFound("Record not found")
        return credential_account(accounts[0], defaults)

    async def lookup(req: api.LookupAccount) -> AccountRecord:
        username, _, domain = req.acct.strip().removeprefix("@").partition("@")
        if USERNAME.match(username):
            async with pool.acquire() as conn:
                found = await store.account_by_acct(conn, req.reader_id, username,
                                                    domain or None)
            if found is not None:
                return found
        raise errors.NotFound("Record not found")

    async def search(req: api.SearchAccounts) -> api.Accounts:
        prefix, _, domain = req.q.strip().removeprefix("@").partition("@")
        if not prefix.strip():
            return api.Accounts(accounts=[])
        async with pool.acquire() as conn:
            found = await store.search_accounts(
                conn, req.reader_id, prefix.strip(), domain.strip() or None,
                limit=max(1, min(req.limit, 80)), offset=max(0, min(req.offset, 10_000)),
                following=req.following)
        return api.Accounts(accounts=found)

    def account_list(page_of: AccountLister
                     ) -> Callable[[api.AccountListPage], Awaitable[api.Accounts]]:
        async def listed(req: api.AccountListPage) -> api.Accounts:
            async with pool.acquire() as conn:
                # 404, not 403, for an account the reader may not see: its lists do not tell
                # that it exists.
                if not await store.may_see(conn, req.reader_id, req.account_id):
                    raise errors.NotFound("Record not found")
                return api.Accounts(accounts=await page_of(conn, req.account_id, req.reader_id,
                                                           req.page))
        return listed

    host.serve(api.ACCOUNT_CREDENTIALS, credentials)
    host.serve(api.ACCOUNT_UPDATE, UpdateProfile(pool, cache))
    host.serve(api.ACCOUNT_LOOKUP_ACCT, lookup)
    host.serve(api.ACCOUNT_SEARCH, search)
    host.serve(api.ACCOUNT_FOLLOWERS, account_list(store.followers_page))
    host.serve(api.ACCOUNT_FOLLOWING, account_list(store.following_page))
    host.serve(api.ACCOUNT_SUGGESTIONS, SuggestAccounts(pool))


def register_tags(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def get_tag(req: api.TagAction) -> api.Tag:
        name = normalize_tag(req.tag)
        follow_id = None
        if req.account_id is not None:
            async with pool.acquire() as conn:
                follow_id = await store.followed_tag_id(conn, req.account_id, name)
        return api.Tag(name=name, following=follow_id is not None, id=follow_id)

    async def followed_tags(req: api.FollowedTagsPage) -> api.Tags:
        async with pool.acquire() as conn:
            rows = await store.followed_tags_page(conn, req.account_id, req.page)
        return api.Tags(tags=[api.Tag(name=row["tag"], following=True, id=row["id"])
                              for row in rows])

    host.serve(api.TAG_GET, get_tag)
    host.serve(api.TAG_FOLLOW, FollowTag(pool, cache))
    host.serve(api.TAG_UNFOLLOW, UnfollowTag(pool))
    host.serve(api.TAG_FOLLOWED, followed_tags)


def register_network(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def get_network(req: api.NetworkRequest) -> api.Network:
        async with pool.acquire() as conn:
            return await network_view(conn, req.account_id)

    async def members(req: api.NetworkMembersPage) -> api.Accounts:
        async with pool.acquire() as conn:
            member = await store.member_of(conn, req.account_id)
            if member is None or member["deactivated"]:
                raise errors.NotFound("Record not found")
            if not roles.sees_members(member["role"]):
                raise errors.Forbidden("Guests may not list the network's members")
            return api.Accounts(accounts=await store.network_members_page(
                conn, member["network_id"], req.page))

    host.serve(api.NETWORK_GET, get_network)
    host.serve(api.NETWORK_UPDATE, RenameOrCloseNetwork(pool))
    host.serve(api.NETWORK_MEMBERS, members)
    host.serve(api.NETWORK_INVITE, InviteToNetwork(pool))
    host.serve(api.NETWORK_DEACTIVATE, DeactivateMember(pool, cache))
    host.serve(api.NETWORK_SET_ROLE, ChangeNetworkRole(pool, cache))
    host.serve(api.NETWORK_AUDIT, ReadAuditLog(pool))
    # Single sign-on (OpenID Connect)
    host.serve(api.SSO_GET, GetSsoSettings(pool))
    host.serve(api.SSO_CONFIGURE, ConfigureIdentityProvider(pool))
    host.serve(api.SSO_REMOVE, RemoveIdentityProvider(pool))
    host.serve(api.SSO_PROVIDER, ProviderForSignIn(pool))
    host.serve(api.SSO_SIGN_IN, SignInWithProvider(pool))


def register_timelines(host: ServiceHost, pool: asyncpg.Pool, cache: CacheClient) -> None:
    """What fanout, home reads and rebuilds ask: follower pages, followees, accounts."""

    async def big_followees(req: api.BigFollowees) -> api.FolloweeIds:
        async with pool.acquire() as conn:
            rows = await store.followees_above(conn, req.account_id, req.threshold)
        return api.FolloweeIds(ids=[row["followee_id"] for row in rows],
                               no_reblogs=[row["followee_id"] for row in rows
                                           if not row["reblogs"]])

    async def home_sources(req: api.HomeSources) -> api.HomeSourcesReply:
        async with pool.acquire() as conn:
            rows = await store.followees(conn, req.account_id)
            communities = await store.community_ids(conn, req.account_id)
            network_id = await store.network_id_of(conn, req.account_id)
            tags = await store.followed_tags(conn, req.account_id)
        return api.HomeSourcesReply(
            followees=[row["followee_id"] for row in rows],
            no_reblogs=[row["followee_id"] for row in rows if not row["reblogs"]],
            above=[row["followee_id"] for row in rows
                   if row["followers_count"] > req.threshold],
            communities=communities, network_id=network_id or 0,
            tags=tags)

    async def followers_among(req: api.FollowersAmong) -> api.Ids:
        async with pool.acquire() as conn:
            found = await store.followed_by_among(conn, req.account_id, req.ids[:50_000])
        return api.Ids(ids=sorted(found))

    async def account_ids(req: api.AccountIdsPage) -> api.Ids:
        async with pool.acquire() as conn:
            return api.Ids(ids=await store.account_ids_page(
                conn, max(0, req.after_id), max(1, min(req.limit, 10_000))))

    async def followers_page(req: api.FollowersPage) -> api.FollowersPageReply:
        limit = max(1, min(req.limit, 50_000))
        count: int | None
        if req.packed and req.unless_above is not None and not req.after_id:
            # Fanout's first question about every post: answered, and cached where fanout
            # looks first (shared/followers_cache.py). Valkey is asked outside the pool's
            # connection, which serves the query alone.
            seen = await account_cache.generation_or_none(cache, req.account_id)
            async with pool.acquire() as conn:
                count, packed = await store.followers_count_and_packed(
                    conn, req.account_id, limit, req.unless_above,
                    reblogs_only=req.reblogs_only)
            # (a page shorter than the cache's lists is not the whole list)
            if seen is not None and limit >= followers_cache.MOST:
                await account_cache.fill_followers(
                    cache, req.account_id, seen, reblogs_only=req.reblogs_only,
                    count=count, packed=packed)
            return api.FollowersPageReply(packed=packed or b"", followers_count=count)
        async with pool.acquire() as conn:
            count = None
            if req.unless_above is not None:
                count = await store.followers_count(conn, req.account_id)
                if count > req.unless_above:
                    return api.FollowersPageReply(ids=[], followers_count=count)
            if req.packed:
                packed = await store.follower_ids_packed(conn, req.account_id, req.after_id,
                                                         limit, reblogs_only=req.reblogs_only)
                return api.FollowersPageReply(packed=packed, followers_count=count)
            ids = await store.follower_ids_page(conn, req.account_id, req.after_id, limit,
                                                reblogs_only=req.reblogs_only)
        return api.FollowersPageReply(ids=list(ids), followers_count=count)

    host.serve(api.FOLLOWERS_PAGE, followers_page)
    host.serve(api.FOLLOWEES_BIG, big_followees)
    host.serve(api.TIMELINE_HOME_SOURCES, home_sources)
    host.serve(api.FOLLOWERS_AMONG, followers_among)
    host.serve(api.ACCOUNT_IDS, account_ids)


def register_scim(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    """SCIM provisioning: tokens (for the network's admins), users and groups (for a network's
    directory, named by the token the gateway checked)."""

    async def get_user(req: scim_api.ScimRef) -> scim_api.ScimUser:
        return await scim_users.get_user(pool, req)

    async def list_users(req: scim_api.ScimQuery) -> scim_api.ScimUsers:
        return await scim_users.list_users(pool, req)

    async def get_group(req: scim_api.ScimRef) -> scim_api.ScimGroup:
        return await scim_groups.get_group(pool, req)

    async def list_groups(req: scim_api.ScimQuery) -> scim_api.ScimGroups:
        return await scim_groups.list_groups(pool, req)

    host.serve(api.SCIM_TOKEN_CREATE, scim_tokens.CreateScimToken(pool))
    host.serve(api.SCIM_TOKEN_LIST, scim_tokens.ListScimTokens(pool))
    host.serve(api.SCIM_TOKEN_REVOKE, scim_tokens.RevokeScimToken(pool))
    host.serve(api.SCIM_TOKEN_CHECK, scim_tokens.CheckScimToken(pool))
    host.serve(api.SCIM_USER_CREATE, scim_users.ProvisionUser(pool, cache))
    host.serve(api.SCIM_USER_GET, get_user)
    host.serve(api.SCIM_USER_LIST, list_users)
    host.serve(api.SCIM_USER_REPLACE, scim_users.ReplaceUser(pool, cache))
    host.serve(api.SCIM_USER_DELETE, scim_users.DeleteUser(pool, cache))
    host.serve(api.SCIM_GROUP_CREATE, scim_groups.CreateGroup(pool))
    host.serve(api.SCIM_GROUP_GET, get_group)
    host.serve(api.SCIM_GROUP_LIST, list_groups)
    host.serve(api.SCIM_GROUP_REPLACE, scim_groups.ReplaceGroup(pool))
    host.serve(api.SCIM_GROUP_DELETE, scim_groups.DeleteGroup(pool))
