"""The graph's NATS API for communities and their members: thin adapters to the use cases, and
the reads (one community, a list, members, join requests, may-this-account-post)."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.use_cases import community_store
from services.graph.use_cases.community_create import CreateCommunity
from services.graph.use_cases.community_invite import InviteToCommunity
from services.graph.use_cases.community_join import JoinCommunity, LeaveCommunity
from services.graph.use_cases.community_members import ChangeMemberRole, RemoveMember
from services.graph.use_cases.community_requests import ApproveJoinRequest, RejectJoinRequest
from shared import errors
from shared.bus import ServiceHost
from shared.contracts import communities as api
from shared.contracts import graph as graph_api

MAX_PAGE = 80


def _page(max_id: int | None, since_id: int | None, min_id: int | None, column: str,
          args: list) -> tuple[str, str, bool]:
    """WHERE fragment, ORDER BY and whether to reverse, for Mastodon's max/since/min ids."""
    clauses = []
    for bound, op in ((max_id, "<"), (since_id, ">"), (min_id, ">")):
        if bound is not None:
            args.append(bound)
            clauses.append(f"{column} {op} ${len(args)}")
    ascending = min_id is not None and max_id is None
    where = "".join(f" AND {c}" for c in clauses)
    return where, f"ORDER BY {column} {'ASC' if ascending else 'DESC'}", ascending


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def member_ids(req: graph_api.CommunityMemberIds) -> graph_api.Ids:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT m.account_id FROM community_members m WHERE m.community_id = $1 "
                "AND m.account_id > $2 AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM follows f"
                " WHERE f.follower_id = m.account_id AND f.followee_id = $4)) "
                "ORDER BY m.account_id LIMIT $3",
                req.community_id, req.after_id, min(req.limit, 50_000), req.followers_of)
        return graph_api.Ids(ids=[row["account_id"] for row in rows])

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
            args: list = [seen.id]
            where, order, ascending = _page(req.max_id, req.since_id, req.min_id,
                                            "account_id", args)
            args.append(_limit(req.limit))
            rows = await conn.fetch(
                "SELECT community_id, account_id, role, "
                "(extract(epoch FROM created_at) * 1000)::bigint AS joined_at "
                f"FROM community_members WHERE community_id = $1{where} {order} "
                f"LIMIT ${len(args)}", *args)
        found = [api.Membership(**dict(row)) for row in rows]
        if ascending:
            found.reverse()
        return api.Members(members=found)

    async def requests(req: api.RequestsPage) -> api.JoinRequests:
        async with pool.acquire() as conn:
            seen = await community_store.seen_by(conn, req.account_id, req.community_id)
            seen.require_manager()
            args: list = [seen.id]
            where, order, ascending = _page(req.max_id, req.since_id, req.min_id, "id", args)
            args.append(_limit(req.limit))
            rows = await conn.fetch(
                "SELECT id, account_id, (extract(epoch FROM created_at) * 1000)::bigint "
                f"AS created_at FROM community_requests WHERE community_id = $1{where} {order} "
                f"LIMIT ${len(args)}", *args)
        found = [api.JoinRequest(**dict(row)) for row in rows]
        if ascending:
            found.reverse()
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
            updated = await conn.fetchval(
                "UPDATE community_members SET notify = $3 WHERE community_id = $1 "
                "AND account_id = $2 RETURNING account_id",
                req.community_id, req.account_id, req.notify)
        if updated is None:
            raise errors.NotFound("Record not found")  # not a member
        return graph_api.Ids(ids=[updated])

    async def notified_members(req: api.NotifiedMembers) -> graph_api.Ids:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT account_id FROM community_members WHERE community_id = $1 AND notify "
                "AND account_id > $2 ORDER BY account_id LIMIT $3",
                req.community_id, req.after_id, min(req.limit, 10_000))
        return graph_api.Ids(ids=[row["account_id"] for row in rows])

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
