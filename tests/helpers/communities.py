"""Communities arranged directly in the graph's tables, for tests whose subject is elsewhere."""

from __future__ import annotations

from shared.ids import new_id
from tests.helpers import Api, User, unique


async def share_community(api: Api, host: User, *members: User) -> int:
    """A community of ``host``'s network that ``members`` (maybe guests) belong to. Written
    directly: this file tests profiles, not the community endpoints."""
    pool = api.stack.graph.pool
    network_id = await pool.fetchval("SELECT network_id FROM accounts WHERE id = $1",
                                     int(host.id))
    community_id = new_id()
    await pool.execute(
        "INSERT INTO communities (id, network_id, name, membership, external, created_by) "
        "VALUES ($1, $2, $3, 'open', true, $4)", community_id, network_id, unique("c"),
        int(host.id))
    for member in (host, *members):
        await pool.execute(
            "INSERT INTO community_members (community_id, account_id, role) VALUES ($1, $2, $3)",
            community_id, int(member.id), "owner" if member is host else "guest")
    return community_id
