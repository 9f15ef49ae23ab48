"""SQL for network roles: the role column of accounts, and the lock that keeps a network from
losing its last owner."""

from __future__ import annotations

import asyncpg


async def lock_network(conn: asyncpg.Connection, network_id: int) -> None:
    """Serialise role changes and deactivations in one network until the transaction ends: two
    owners demoting each other at once must not leave the network with none."""
    await conn.execute("SELECT 1 FROM networks WHERE id = $1 FOR UPDATE", network_id)


async def active_owners(conn: asyncpg.Connection, network_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM accounts WHERE network_id = $1 AND role = 'owner' AND active",
        network_id)
    return count


async def set_role(conn: asyncpg.Connection, account_id: int, role: str) -> None:
    await conn.execute("UPDATE accounts SET role = $2 WHERE id = $1", account_id, role)
