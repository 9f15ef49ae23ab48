"""CreateCommunity: a new community in its creator's network, with the creator as its owner."""

from __future__ import annotations

import asyncpg

from services.graph.store import communities as community_store
from shared import errors
from shared.contracts import communities as api
from shared.ids import new_id

MAX_NAME = 100
MAX_DESCRIPTION = 1000


class CreateCommunity:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CreateCommunity) -> api.CommunityRecord:
        name = req.name.strip()
        description = req.description.strip()
        details = []
        if not 1 <= len(name) <= MAX_NAME:
            details.append(f"name must be 1 to {MAX_NAME} characters")
        if len(description) > MAX_DESCRIPTION:
            details.append(f"description must be at most {MAX_DESCRIPTION} characters")
        if req.membership not in api.MEMBERSHIPS:
            details.append(f"membership must be one of {', '.join(api.MEMBERSHIPS)}")
        if details:
            raise errors.Invalid("Validation failed: " + ", ".join(details))
        community_id = new_id()
        async with self.pool.acquire() as conn, conn.transaction():
            network_id = await community_store.account_network(conn, req.account_id)
            try:
                # A savepoint: the unique violation must not abort the outer transaction.
                async with conn.transaction():
                    await community_store.insert_community(
                        conn, community_id, network_id, name, description, req.membership,
                        req.external, req.account_id)
            except asyncpg.UniqueViolationError as exc:
                raise errors.Invalid("Validation failed: name is already taken") from exc
            await community_store.add_member(conn, community_id, req.account_id, api.OWNER)
            seen = await community_store.seen_by(conn, req.account_id, community_id)
        return seen.record
