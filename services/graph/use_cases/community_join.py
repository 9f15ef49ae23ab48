"""JoinCommunity and LeaveCommunity: an account's own membership. Both are harmless to repeat."""

from __future__ import annotations

import asyncpg
import msgspec

from services.graph.store import communities as community_store
from shared import errors
from shared.contracts import communities as api
from shared.ids import new_id


class JoinCommunity:
    """Open: join at once. Approval: ask, and wait for an owner or admin. An invitation lets in
    at once whatever the membership; it is also the only way in for an account of another
    network (which joins as a guest)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CommunityRef) -> api.CommunityRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            seen = await community_store.seen_by(conn, req.account_id, req.community_id,
                                                 lock=True)
            community = seen.record
            if community.role is not None:
                return community
            if community.invited:
                role = api.GUEST if seen.reader_is_guest else api.MEMBER
                await community_store.add_member(conn, community.id, req.account_id, role)
            elif seen.reader_is_guest:
                raise errors.Forbidden("Accounts of other networks join by invitation only")
            elif community.membership == api.OPEN:
                await community_store.add_member(conn, community.id, req.account_id, api.MEMBER)
            else:
                await community_store.insert_request(conn, new_id(), community.id,
                                                     req.account_id)
            return (await community_store.seen_by(conn, req.account_id, community.id)).record


class LeaveCommunity:
    """Leave, or withdraw a pending request. The owner stays: a community keeps its owner."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CommunityRef) -> api.CommunityRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            seen = await community_store.seen_by(conn, req.account_id, req.community_id,
                                                 lock=True)
            if seen.role == api.OWNER:
                owners = await community_store.owners_count(conn, seen.id)
                if owners <= 1:
                    raise errors.Invalid("Validation failed: the last owner cannot leave the "
                                         "community")
            await community_store.remove_member(conn, seen.id, req.account_id)
            await community_store.delete_request(conn, seen.id, req.account_id)
            # A guest that left may no longer see the community: answer with what it was.
            members_count = await community_store.members_count(conn, seen.id)
        return msgspec.structs.replace(seen.record, role=None, requested=False, invited=False,
                                       members_count=members_count)
