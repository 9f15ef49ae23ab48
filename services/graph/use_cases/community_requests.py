"""ApproveJoinRequest and RejectJoinRequest: an owner or admin settles a pending request."""

from __future__ import annotations

import asyncpg

from services.graph.store import communities as community_store
from shared import errors
from shared.contracts import communities as api


class ApproveJoinRequest:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CommunityTarget) -> api.Membership:
        async with self.pool.acquire() as conn, conn.transaction():
            seen = await community_store.seen_by(conn, req.account_id, req.community_id,
                                                 lock=True)
            seen.require_manager()
            existing = await community_store.membership(conn, seen.id, req.target_id)
            if existing is not None:
                return existing  # approved already: a retry
            requested = await community_store.has_requested(conn, seen.id, req.target_id)
            if not requested:
                raise errors.NotFound("Record not found")
            network_id = await community_store.account_network(conn, req.target_id)
            role = api.MEMBER if network_id == seen.record.network_id else api.GUEST
            await community_store.add_member(conn, seen.id, req.target_id, role)
            joined = await community_store.membership(conn, seen.id, req.target_id)
        assert joined is not None
        return joined


class RejectJoinRequest:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CommunityTarget) -> api.Done:
        async with self.pool.acquire() as conn, conn.transaction():
            seen = await community_store.seen_by(conn, req.account_id, req.community_id)
            seen.require_manager()
            deleted = await community_store.delete_request(conn, seen.id, req.target_id)
        return api.Done(changed=bool(deleted))
