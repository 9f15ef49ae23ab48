"""The bearer tokens a network's admins make for their directory's SCIM client: shown once,
kept as SHA-256 digests, listed and revoked by the network's admins only."""

from __future__ import annotations

import hashlib
import secrets

import asyncpg

from services.graph.store import scim as scim_store
from services.graph.use_cases.network_admin import admin_of
from shared import errors
from shared.contracts import scim as api
from shared.ids import new_id

MAX_LABEL = 100
MAX_TOKENS = 20  # per network: a directory needs one or two (one while rotating)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CreateScimToken:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CreateScimToken) -> api.ScimToken:
        label = req.label.strip()
        if len(label) > MAX_LABEL or "\x00" in label:
            raise errors.Invalid(f"Validation failed: label must be at most {MAX_LABEL} "
                                 "characters")
        token = secrets.token_urlsafe(32)
        async with self.pool.acquire() as conn, conn.transaction():
            admin = await admin_of(conn, req.account_id)
            if len(await scim_store.tokens_of(conn, admin["network_id"])) >= MAX_TOKENS:
                raise errors.Invalid(f"Validation failed: at most {MAX_TOKENS} SCIM tokens; "
                                     "revoke one first")
            made = await scim_store.insert_token(
                conn, token_id=new_id(), network_id=admin["network_id"], label=label,
                token_hash=token_digest(token), created_by=req.account_id)
        return api.ScimToken(id=made.id, label=made.label, created_at=made.created_at,
                             token=token)


class ListScimTokens:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.ScimTokensOf) -> api.ScimTokens:
        async with self.pool.acquire() as conn:
            admin = await admin_of(conn, req.account_id)
            return api.ScimTokens(tokens=await scim_store.tokens_of(conn, admin["network_id"]))


class RevokeScimToken:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.RevokeScimToken) -> api.Done:
        async with self.pool.acquire() as conn, conn.transaction():
            admin = await admin_of(conn, req.account_id)
            if not await scim_store.revoke_token(conn, admin["network_id"], req.token_id):
                raise errors.NotFound("Record not found")
        return api.Done()


class CheckScimToken:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CheckScimToken) -> api.ScimClient:
        async with self.pool.acquire() as conn:
            found = await scim_store.use_token(conn, req.token_hash)
        if found is None:
            raise errors.Unauthorized("The SCIM token is invalid")
        return api.ScimClient(token_id=found["id"], network_id=found["network_id"])
