"""SQL for OAuth applications. Client secrets are stored only as SHA-256 digests."""

from __future__ import annotations

import asyncpg


async def insert_app(pool: asyncpg.Pool, *, app_id: int, name: str, website: str | None,
                     redirect_uris: str, scopes: str, client_id: str,
                     client_secret_hash: str) -> None:
    await pool.execute(
        "INSERT INTO apps (id, name, website, redirect_uris, scopes, client_id, "
        "client_secret_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        app_id, name, website, redirect_uris, scopes, client_id, client_secret_hash,
    )


async def app_with_secret_hash(pool: asyncpg.Pool, client_id: str) -> asyncpg.Record | None:
    """The app's columns and its ``client_secret_hash``, for checking a client's secret."""
    return await pool.fetchrow(
        "SELECT id, name, website, redirect_uris, scopes, client_id, client_secret_hash "
        "FROM apps WHERE client_id = $1", client_id)
