"""SQL for networks (one per e-mail domain, or invitation only) and their invitations."""

from __future__ import annotations

import asyncpg


async def network(conn: asyncpg.Connection, network_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT n.id, n.domain, n.name, n.invitation_only, n.password_grant_apps, "
        "(extract(epoch FROM n.created_at) * 1000)::bigint AS created_at, "
        "(SELECT count(*) FROM accounts a WHERE a.network_id = n.id "
        " AND a.active) AS members_count "
        "FROM networks n WHERE n.id = $1", network_id)


async def network_for_domain(conn: asyncpg.Connection, domain: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, invitation_only FROM networks WHERE domain = $1",
                               domain)


async def insert_network(conn: asyncpg.Connection, network_id: int, domain: str) -> int:
    """Create the network, or return the one a concurrent registration just created."""
    row = await conn.fetchrow(
        "INSERT INTO networks (id, domain, name) VALUES ($1, $2, $2) "
        "ON CONFLICT (domain) DO UPDATE SET domain = EXCLUDED.domain RETURNING id",
        network_id, domain,
    )
    created: int = row["id"]  # (or the one a concurrent registration created)
    # A network made by a sign-up claims its own domain, as those made before 0009 did
    # (single sign-on finds a network by its claimed domains).
    await conn.execute("INSERT INTO network_domains (domain, network_id) VALUES (lower($1), $2) "
                       "ON CONFLICT DO NOTHING", domain, created)
    return created


async def update_network(conn: asyncpg.Connection, network_id: int, *, name: str | None,
                         invitation_only: bool | None,
                         password_grant_apps: list[str] | None = None) -> None:
    """Change what is given; None keeps the current value."""
    await conn.execute(
        "UPDATE networks SET name = coalesce($2, name), "
        "invitation_only = coalesce($3, invitation_only), "
        "password_grant_apps = coalesce($4, password_grant_apps) WHERE id = $1",
        network_id, name, invitation_only, password_grant_apps)


# --- invitations --------------------------------------------------------------------------------

async def insert_invitation(conn: asyncpg.Connection, *, invitation_id: int, network_id: int,
                            email: str, token_hash: str, invited_by: int) -> int:
    """The new invitation's creation time, in epoch milliseconds."""
    created_at: int = await conn.fetchval(
        "INSERT INTO invitations (id, network_id, email, token_hash, invited_by) "
        "VALUES ($1, $2, $3, $4, $5) "
        "RETURNING (extract(epoch FROM created_at) * 1000)::bigint",
        invitation_id, network_id, email, token_hash, invited_by)
    return created_at


async def lock_open_invitation(conn: asyncpg.Connection, token_hash: str
                               ) -> asyncpg.Record | None:
    """The invitation not yet accepted with this code digest (id, network_id, email), locked
    until the transaction ends."""
    return await conn.fetchrow(
        "SELECT id, network_id, email FROM invitations "
        "WHERE token_hash = $1 AND accepted_at IS NULL FOR UPDATE",
        token_hash)


async def accept_invitation(conn: asyncpg.Connection, invitation_id: int, account_id: int
                            ) -> None:
    await conn.execute(
        "UPDATE invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1",
        invitation_id, account_id)
