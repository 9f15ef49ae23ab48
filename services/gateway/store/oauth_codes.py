"""Authorization codes (RFC 6749 4.1 with PKCE S256, RFC 7636): the sign-in pages issue them, the
token endpoint redeems them once with the matching verifier. A code without a challenge is issued
only to an app the person's network trusts (application/oauth_trust.py), and redeemed without a
verifier, by that app with its secret, while it is still trusted. Codes are stored only as
SHA-256 digests, like tokens."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from services.gateway.tokens import App, digest

CODE_TTL = dt.timedelta(minutes=10)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier: unpadded base64url of its SHA-256."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"=").decode()


async def app_by_client_id(pool: asyncpg.Pool, client_id: str) -> App | None:
    """The app an authorization request names; no secret yet, that comes with the exchange."""
    row = await pool.fetchrow("SELECT id, name, website, redirect_uris, scopes, client_id "
                              "FROM apps WHERE client_id = $1", client_id)
    return App(**dict(row)) if row else None


async def issue_code(pool: asyncpg.Pool, *, app_id: int, account_id: int, redirect_uri: str,
                     scopes: str, code_challenge: str) -> str:
    """A new code; ``code_challenge`` "" (stored as NULL) for a trusted app without PKCE."""
    code = secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO authorization_codes (code_hash, app_id, account_id, redirect_uri, scopes, "
        "code_challenge, expires_at) VALUES ($1, $2, $3, $4, $5, $6, now() + $7::interval)",
        digest(code), app_id, account_id, redirect_uri, scopes, code_challenge or None, CODE_TTL)
    return code


@dataclass(frozen=True)
class Grant:
    account_id: int
    scopes: str
    # False: issued without a challenge; the caller checks that the app is still trusted.
    pkce: bool = True


class InvalidGrant(Exception):
    """The code is unknown, used, expired, another client's, or its verifier does not match."""


async def redeem_code(pool: asyncpg.Pool, *, app_id: int, code: str | None,
                      redirect_uri: str | None, code_verifier: str | None,
                      on_revoked: Callable[[str], Awaitable[None]] | None = None) -> Grant:
    """Check a code for the token endpoint and mark it used: it works once. Every failure is
    the same ``invalid_grant``, so the answer does not tell an attacker which check failed."""
    if not code:
        raise InvalidGrant("code is required")
    row = await pool.fetchrow(
        "SELECT app_id, account_id, redirect_uri, scopes, code_challenge, used_at, token_hash, "
        "expires_at <= now() AS expired FROM authorization_codes WHERE code_hash = $1",
        digest(code))
    if row is None or row["app_id"] != app_id or row["redirect_uri"] != (redirect_uri or ""):
        raise InvalidGrant("unknown code")
    if row["used_at"] is not None:
        # A replayed code may have been stolen: the token it bought goes too (RFC 6749 4.1.2).
        if row["token_hash"]:
            await pool.execute("UPDATE tokens SET revoked_at = now() WHERE token_hash = $1 "
                               "AND revoked_at IS NULL", row["token_hash"])
            if on_revoked is not None:
                await on_revoked(row["token_hash"])
        raise InvalidGrant("code already used")
    if row["expired"]:
        raise InvalidGrant("code expired")
    # A verifier for a code issued without a challenge is the PKCE downgrade of RFC 9700 4.8.2:
    # refused, as is a code with a challenge and no (or the wrong) verifier.
    if row["code_challenge"] is None:
        if code_verifier:
            raise InvalidGrant("code_verifier for a code issued without a challenge")
    elif not (code_verifier
              and hmac.compare_digest(s256(code_verifier), row["code_challenge"])):
        raise InvalidGrant("code_verifier does not match")
    claimed = await pool.fetchval(
        "UPDATE authorization_codes SET used_at = now() WHERE code_hash = $1 "
        "AND used_at IS NULL RETURNING account_id", digest(code))
    if claimed is None:
        raise InvalidGrant("code already used")  # a concurrent exchange won
    return Grant(account_id=row["account_id"], scopes=row["scopes"],
                 pkce=row["code_challenge"] is not None)


async def remember_token(pool: asyncpg.Pool, code: str, token: str) -> None:
    """Note the token a code bought, so that a replay of the code can revoke it."""
    await pool.execute("UPDATE authorization_codes SET token_hash = $2 WHERE code_hash = $1",
                       digest(code), digest(token))
