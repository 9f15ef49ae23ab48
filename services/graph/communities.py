"""The graph's NATS API for communities and their members: thin adapters to the use cases, and
the reads (one community, a list, members, join requests, may-this-account-post)."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.store import communities as community_store
from services.graph.use_cases.community_bot import EnsureCommunityBot
from services.graph.use_cases.community_create import CreateCommunity
from services.graph.use_cases.community_invite import InviteToCommunity
from services.graph.use_cases.community_join import JoinCommunity, LeaveCommunity
from services.graph.use_cases.community_members import ChangeMemberRole, RemoveMember
from services.graph.use_cases.community_requests import ApproveJoinRequest, RejectJoinRequest
from shared import errors
from shared.contracts import communities as api
from shared.contracts import graph as graph_api
from shared.service_host import ServiceHost

MAX_PAGE = 80


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def member_ids(req: graph_api.CommunityMemberIds) -> graph_api.Ids:
        async with pool.acquire() as conn:
            ids = await community_store.member_ids(conn, req.community_id, req.after_id,
                                                   min(req.limit, 50_000), req.followers_of)
        return graph_api.Ids(ids=ids)

    async def get(req: api.CommunityRef) -> api.CommunityRecord:
        async with pool.acquire() as conn:
            return (await community_store.seen_by(conn, req.account_id, req.community_id)).record

    async def list_visible(req: api.ListCommunities) -> api.Communities:
        async with pool.acquire() as conn:
            return api.Communities(communities=await community_store.visible_to(
                conn, req.account_id, req.q.strip()[:100], _limit(req.limit)))

    async def members(req: api.MembersPage) -> api.Members:
        async with pool.acquire() as conn:
            seen = await community_store.seen_by(conn, req.account_id, req.community_id)
            # Members read the list; so do the host network's accounts for an internal
            # community. An external community's roster stays among its members.
            open_to_network = not seen.record.external and not seen.reader_is_guest
            if seen.role is None and not open_to_network:
                raise errors.Forbidden("You are not a member of this community")
            found = await community_store.members_page(
                conn, seen.id, max_id=req.max_id, since_id=req.since_id, min_id=req.min_id,
                limit=req.limit, max_limit=MAX_PAGE)
        return api.Members(members=found)

    async def requests(req: api.RequestsPage) -> api.JoinRequests:
        async with pool.acquire() as conn:
            seen = await community_store.seen_by(conn, req.account_id, req.community_id)
            seen.require_manager()
            found = await community_store.requests_page(
                conn, seen.id, max_id=req.max_id, since_id=req.since_id, min_id=req.min_id,
                limit=req.limit, max_limit=MAX_PAGE)
        return api.JoinRequests(requests=found)

    async def can_post(req: graph_api.CanPost) -> api.Membership:
        """The author's membership, or NotFound (no such community, as far as the author can
        tell) or Forbidden (not a member). Guests may post too."""
        async with pool.acquire() as conn:
            seen = await community_store.seen_by(conn, req.account_id, req.community_id)
        seen.require_member()
        assert seen.role is not None
        return api.Membership(community_id=seen.id, account_id=req.account_id, role=seen.role)

    async def set_notify(req: api.NotifySetting) -> graph_api.Ids:
        async with pool.acquire() as conn:
            updated = await community_store.set_notify(conn, req.community_id, req.account_id,
                                                       req.notify)
        if updated is None:
            raise errors.NotFound("Record not found")  # not a member
        return graph_api.Ids(ids=[updated])

    async def notified_members(req: api.NotifiedMembers) -> graph_api.Ids:
        async with pool.acquire() as conn:
            ids = await community_store.notified_member_ids(conn, req.community_id, req.after_id,
                                                            min(req.limit, 10_000))
        return graph_api.Ids(ids=ids)

    host.serve(graph_api.COMMUNITY_MEMBER_IDS, member_ids)
    host.serve(graph_api.COMMUNITY_SET_NOTIFY, set_notify)
    host.serve(graph_api.COMMUNITY_NOTIFIED_MEMBERS, notified_members)
    host.serve(graph_api.COMMUNITY_CREATE, CreateCommunity(pool))
    host.serve(graph_api.COMMUNITY_GET, get)
    host.serve(graph_api.COMMUNITY_LIST, list_visible)
    host.serve(graph_api.COMMUNITY_JOIN, JoinCommunity(pool))
    host.serve(graph_api.COMMUNITY_LEAVE, LeaveCommunity(pool))
    host.serve(graph_api.COMMUNITY_MEMBERS, members)
    host.serve(graph_api.COMMUNITY_REQUESTS, requests)
    host.serve(graph_api.COMMUNITY_APPROVE, ApproveJoinRequest(pool))
    host.serve(graph_api.COMMUNITY_REJECT, RejectJoinRequest(pool))
    host.serve(graph_api.COMMUNITY_INVITE, InviteToCommunity(pool))
    host.serve(graph_api.COMMUNITY_REMOVE_MEMBER, RemoveMember(pool))
    host.serve(graph_api.COMMUNITY_SET_ROLE, ChangeMemberRole(pool))
    host.serve(graph_api.COMMUNITY_CAN_POST, can_post)
    host.serve(graph_api.COMMUNITY_BOT, EnsureCommunityBot(pool))
