"""Switch an external community's public feed on or off: its owner and admins only.

Who asks must see the community (404 otherwise, as for every community read), manage it (403),
and the community must be external (422): an internal community's posts stay in its network."""

from __future__ import annotations

import asyncpg

from services.graph.store import communities as community_store
from services.graph.store import feeds as feeds_store
from shared import errors
from shared.contracts import feeds as api
from shared.contracts.communities import MANAGERS

INTERNAL = ("Validation failed: Only an external community can have a public feed; an internal "
            "community's posts stay inside its network")


class SetCommunityFeed:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.SetCommunityFeed) -> api.CommunityFeed:
        async with self.pool.acquire() as conn, conn.transaction():
            seen = await community_store.seen_by(conn, req.account_id, req.community_id,
                                                 lock=True)
            seen.require_manager()
            if not seen.record.external:
                raise errors.Invalid(INTERNAL)
            await feeds_store.set_community_feed(conn, seen.id, req.public_feed)
        return api.CommunityFeed(community_id=seen.id, external=True,
                                 public_feed=req.public_feed, can_manage=True)


async def community_feed(pool: asyncpg.Pool, req: api.CommunityFeedRef) -> api.CommunityFeed:
    """The flag as a reader of the community sees it (404 for a community it cannot see)."""
    async with pool.acquire() as conn:
        seen = await community_store.seen_by(conn, req.account_id, req.community_id)
        on = await feeds_store.community_feed(conn, seen.id)
    return api.CommunityFeed(community_id=seen.id, external=seen.record.external,
                             public_feed=on and seen.record.external,
                             can_manage=seen.role in MANAGERS)
