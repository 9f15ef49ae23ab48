"""RemoveMember and ChangeMemberRole: owners and admins manage who is in a community.

The owner is never removed nor demoted (the community always keeps one). Admins remove members
and guests; only the owner removes admins and changes roles. Guests stay guests.
"""

from __future__ import annotations

import asyncpg

from services.graph.store import communities as community_store
from shared import errors
from shared.contracts import communities as api

ASSIGNABLE = (api.ADMIN, api.MEMBER)


class RemoveMember:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CommunityTarget) -> api.Done:
        async with self.pool.acquire() as conn, conn.transaction():
            seen = await community_store.seen_by(conn, req.account_id, req.community_id,
                                                 lock=True)
            seen.require_manager()
            target = await community_store.membership(conn, seen.id, req.target_id)
            if target is not None and target.role == api.OWNER:
                raise errors.Forbidden("The owner of a community cannot be removed")
            if (target is not None and target.role == api.ADMIN and seen.role != api.OWNER
                    and req.target_id != req.account_id):
                raise errors.Forbidden("Only the owner can remove an admin")
            removed = await community_store.remove_member(conn, seen.id, req.target_id)
        return api.Done(changed=removed)


class ChangeMemberRole:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.ChangeRole) -> api.Membership:
        if req.role not in ASSIGNABLE:
            raise errors.Invalid(f"Validation failed: role must be one of {', '.join(ASSIGNABLE)}")
        async with self.pool.acquire() as conn, conn.transaction():
            seen = await community_store.seen_by(conn, req.account_id, req.community_id,
                                                 lock=True)
            if seen.role != api.OWNER:
                raise errors.Forbidden("Only the owner of this community can change roles")
            target = await community_store.membership(conn, seen.id, req.target_id)
            if target is None:
                raise errors.NotFound("Record not found")
            if target.role == api.OWNER:
                raise errors.Forbidden("The owner's role cannot be changed")
            if target.role == api.GUEST:
                raise errors.Invalid("Validation failed: a guest's role cannot be changed")
            await community_store.set_role(conn, seen.id, req.target_id, req.role)
            changed = await community_store.membership(conn, seen.id, req.target_id)
        assert changed is not None
        return changed
