"""InviteToCommunity: an owner or admin invites an account, which joins by calling join.

An internal community invites accounts of its own network only; an external one also invites
accounts of other networks, which join as guests. Inviting an account that already asked to
join lets it in at once.
"""

from __future__ import annotations

import asyncpg

from services.graph.store import communities as community_store
from shared import errors, events, outbox
from shared.contracts import communities as api
from shared.ids import new_id


class InviteToCommunity:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CommunityTarget) -> api.Done:
        async with self.pool.acquire() as conn, conn.transaction():
            seen = await community_store.seen_by(conn, req.account_id, req.community_id,
                                                 lock=True)
            seen.require_manager()
            network_id = await community_store.account_network(conn, req.target_id)
            same_network = network_id == seen.record.network_id
            if not same_network and not seen.record.external:
                raise errors.Invalid("Validation failed: only accounts of this network can be "
                                     "invited to an internal community")
            if await community_store.membership(conn, seen.id, req.target_id) is not None:
                return api.Done(changed=False)
            if same_network and await community_store.has_requested(conn, seen.id,
                                                                    req.target_id):
                await community_store.add_member(conn, seen.id, req.target_id, api.MEMBER)
                return api.Done(changed=True)
            invited = await community_store.insert_invitation(conn, new_id(), seen.id,
                                                              req.target_id, req.account_id)
            if invited:
                await outbox.add(conn, "graph", events.CommunityInvited(
                    community_id=seen.id, account_id=req.target_id, invited_by=req.account_id))
        return api.Done(changed=bool(invited))
