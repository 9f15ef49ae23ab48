"""SQL for a network's sign-up blocks (canonical e-mail, e-mail domain, IP range)."""

from __future__ import annotations

import asyncpg

from shared.contracts.moderation import SignUpBlock
from shared.paging import id_window

MAX_PAGE = 200
COLUMNS = """
    id, kind, value, severity, comment,
    (extract(epoch FROM created_at) * 1000)::bigint AS created_at,
    (extract(epoch FROM expires_at) * 1000)::bigint AS expires_at
"""
# Expired blocks are kept (until deleted) but block nothing and are not listed, as Mastodon.
LIVE = "(expires_at IS NULL OR expires_at > now())"


def _block(row: asyncpg.Record) -> SignUpBlock:
    return SignUpBlock(**dict(row))


async def insert(conn: asyncpg.Connection, *, block_id: int, network_id: int, kind: str,
                 value: str, ip: str | None, severity: str | None, comment: str,
                 expires_in: int | None) -> SignUpBlock | None:
    """None if the network already blocks this value."""
    row = await conn.fetchrow(
        "INSERT INTO sign_up_blocks (id, network_id, kind, value, ip, severity, comment, "
        "expires_at) VALUES ($1, $2, $3, $4, $5::cidr, $6, $7, "
        "CASE WHEN $8::int IS NULL THEN NULL ELSE now() + make_interval(secs => $8::int) END) "
        f"ON CONFLICT DO NOTHING RETURNING {COLUMNS}",
        block_id, network_id, kind, value, ip, severity, comment, expires_in)
    return _block(row) if row else None


async def update_ip(conn: asyncpg.Connection, block_id: int, *, value: str | None,
                    severity: str | None, comment: str | None, expires_in: int | None
                    ) -> None:
    await conn.execute(
        "UPDATE sign_up_blocks SET value = coalesce($2, value), ip = coalesce($2::cidr, ip), "
        "severity = coalesce($3, severity), comment = coalesce($4, comment), "
        "expires_at = CASE WHEN $5::int IS NULL THEN expires_at "
        "ELSE now() + make_interval(secs => $5::int) END WHERE id = $1",
        block_id, value, severity, comment, expires_in)


async def get(conn: asyncpg.Connection, network_id: int, kind: str, block_id: int
              ) -> SignUpBlock | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM sign_up_blocks WHERE id = $1 AND network_id = $2 "
        "AND kind = $3", block_id, network_id, kind)
    return _block(row) if row else None


async def delete(conn: asyncpg.Connection, block_id: int) -> None:
    await conn.execute("DELETE FROM sign_up_blocks WHERE id = $1", block_id)


async def page(conn: asyncpg.Connection, network_id: int, kind: str, *, max_id: int | None,
               since_id: int | None, min_id: int | None, limit: int) -> list[SignUpBlock]:
    window = id_window("id", max_id=max_id, since_id=since_id, min_id=min_id, limit=limit,
                       max_limit=MAX_PAGE, first_arg=3)
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM sign_up_blocks WHERE network_id = $1 AND kind = $2 "
        f"AND {LIVE}{window.sql}", network_id, kind, *window.args)
    return window.newest_first([_block(r) for r in rows])


async def matching_canonical(conn: asyncpg.Connection, network_id: int, digest: str
                             ) -> list[SignUpBlock]:
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM sign_up_blocks WHERE network_id = $1 "
        f"AND kind = 'canonical_email' AND value = $2 AND {LIVE}", network_id, digest)
    return [_block(r) for r in rows]


async def blocked_domain(conn: asyncpg.Connection, network_id: int, domain: str) -> bool:
    """Whether the domain, or a domain it is under, is blocked."""
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM sign_up_blocks WHERE network_id = $1 "
        f"AND kind = 'email_domain' AND {LIVE} AND ($2 = value OR $2 LIKE '%.' || value))",
        network_id, domain))


async def ip_severities(conn: asyncpg.Connection, network_id: int, ip: str) -> set[str]:
    """The severities of the live ip blocks whose range holds ``ip`` (an address)."""
    rows = await conn.fetch(
        "SELECT DISTINCT severity FROM sign_up_blocks WHERE network_id = $1 AND kind = 'ip' "
        f"AND {LIVE} AND ip >>= $2::inet", network_id, ip)
    return {r["severity"] for r in rows}
