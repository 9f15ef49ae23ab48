"""SQL for access tokens. Tokens are stored only as SHA-256 digests."""

from __future__ import annotations

import asyncpg


async def insert_token(pool: asyncpg.Pool, *, token_id: int, token_hash: str, app_id: int,
                       account_id: int | None, scopes: str) -> int:
    """The new token's creation time, in epoch seconds."""
    created_at: int = await pool.fetchval(
        "INSERT INTO tokens (id, token_hash, app_id, account_id, scopes) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING extract(epoch FROM created_at)::bigint",
        token_id, token_hash, app_id, account_id, scopes,
    )
    return created_at


async def live_token(pool: asyncpg.Pool, token_hash: str) -> asyncpg.Record | None:
    """The unrevoked token (``id``, ``app_id``, ``account_id``, ``scopes``) with its app's
    ``name`` and ``website``."""
    return await pool.fetchrow(
        "SELECT t.id, t.app_id, t.account_id, t.scopes, a.name, a.website FROM tokens t "
        "JOIN apps a ON a.id = t.app_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        token_hash,
    )


async def revoke_token(pool: asyncpg.Pool, token_hash: str, app_id: int | None) -> str | None:
    """Revoke the live token (only the app's own, when ``app_id`` is given); its digest when
    there was one."""
    digest: str | None = await pool.fetchval(
        "UPDATE tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL "
        "AND ($2::bigint IS NULL OR app_id = $2) RETURNING token_hash",
        token_hash, app_id,
    )
    return digest


async def revoke_account_tokens(pool: asyncpg.Pool, account_id: int) -> list[str]:
    """Revoke every live token of the account (it was deactivated); their digests, for the
    token caches."""
    rows = await pool.fetch(
        "UPDATE tokens SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL "
        "RETURNING token_hash", account_id)
    return [row["token_hash"] for row in rows]


async def weekly_sign_ins(pool: asyncpg.Pool, since_id: int, cap: int) -> list[asyncpg.Record]:
    """(``week`` start in ms, ``account_id``) of each account given a token in each week since
    ``since_id`` (token ids are time-ordered), at most ``cap`` rows: instance activity's
    logins, as near as tokens tell them."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT DISTINCT (extract(epoch FROM date_trunc('week', created_at AT TIME ZONE 'UTC'))"
        " * 1000)::bigint AS week, account_id FROM tokens WHERE id >= $1 "
        "AND account_id IS NOT NULL LIMIT $2", since_id, cap)
    return rows
