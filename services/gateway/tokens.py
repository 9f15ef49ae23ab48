"""OAuth applications and access tokens. Tokens and client secrets are stored only as SHA-256
digests: a database dump does not hand out working credentials."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

import asyncpg
import msgspec

from services.gateway import scopes as scope_rules
from services.gateway.store import apps as app_store
from services.gateway.store import tokens as token_store
from shared import errors
from shared.bounded_cache import BoundedCache
from shared.ids import new_id

DEFAULT_SCOPES = "read"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class App(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    website: str | None
    redirect_uris: str
    scopes: str
    client_id: str


# Where the token's account stands in its network (an app's token: "member", it has none).
# Deactivated or gone is no standing: such a token is refused as invalid (401) when loaded.
Standing = Literal["member", "unconfirmed", "pending"]


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling, from the bearer token; ``standing`` from the account record when the
    token was loaded, so that the cached fast path needs no second look."""

    token_id: int
    app_id: int
    account_id: int | None
    scopes: frozenset[str]
    app_name: str = ""
    app_website: str | None = None
    standing: Standing = "member"


def parse_scopes(scopes: str | None, allowed: str | None = None) -> str:
    """The requested scopes, checked (services/gateway/scopes.py): each one Mastodon knows
    (granular and admin ones included) and, given the app's ``allowed``, each granted by them:
    an app registered with ``read`` may ask for ``read:statuses``, never for ``write``."""
    within = allowed.split() if allowed is not None else None
    return " ".join(scope_rules.parse(scopes or DEFAULT_SCOPES, within=within))


async def create_app(pool: asyncpg.Pool, *, name: str, redirect_uris: str, scopes: str,
                     website: str | None) -> tuple[App, str]:
    client_id = secrets.token_urlsafe(32)
    client_secret = secrets.token_urlsafe(32)
    app = App(id=new_id(), name=name, website=website, redirect_uris=redirect_uris,
              scopes=scopes, client_id=client_id)
    await app_store.insert_app(pool, app_id=app.id, name=name, website=website,
                               redirect_uris=redirect_uris, scopes=scopes, client_id=client_id,
                               client_secret_hash=digest(client_secret))
    return app, client_secret


async def app_by_credentials(pool: asyncpg.Pool, client_id: str, client_secret: str) -> App:
    row = await app_store.app_with_secret_hash(pool, client_id)
    if row is None or not hmac.compare_digest(row["client_secret_hash"], digest(client_secret)):
        raise errors.Unauthorized("Client authentication failed due to unknown client, no client "
                                  "authentication included, or unsupported authentication method.")
    values = dict(row)
    values.pop("client_secret_hash")
    return App(**values)


async def issue_token(pool: asyncpg.Pool, *, app_id: int, account_id: int | None, scopes: str
                      ) -> tuple[str, int]:
    """A new bearer token; returns (token, created_at in seconds)."""
    token = secrets.token_urlsafe(32)
    token_id = new_id()
    created = await token_store.insert_token(pool, token_id=token_id, token_hash=digest(token),
                                             app_id=app_id, account_id=account_id,
                                             scopes=scopes)
    return token, created


async def caller_for(pool: asyncpg.Pool, token: str) -> Caller | None:
    return await caller_by_digest(pool, digest(token))


async def caller_by_digest(pool: asyncpg.Pool, token_hash: str) -> Caller | None:
    row = await token_store.live_token(pool, token_hash)
    if row is None:
        return None
    return Caller(token_id=row["id"], app_id=row["app_id"], account_id=row["account_id"],
                  scopes=frozenset(row["scopes"].split()), app_name=row["name"],
                  app_website=row["website"])


async def revoke(pool: asyncpg.Pool, token: str, app_id: int | None = None) -> str | None:
    """Revoke a token; returns its digest when it was live (callers tell the token caches)."""
    return await token_store.revoke_token(pool, digest(token), app_id)


class TokenCache(BoundedCache[str, Caller]):
    """Callers by token digest, kept in the gateway process for a short while: every API request
    carries a token, and a Postgres round trip per request was the largest cost of a timeline
    read. A revocation evicts the token here at once and is announced to the other gateway
    processes over NATS (see Gateway.forget_token); a deactivation (graph's event) evicts every
    token of the account (``forget_account``); a missed announcement is bounded by the TTL.
    Only members' tokens are cached (Gateway.caller): refused tokens (unknown, deactivated)
    cost a lookup each time, so guessing cannot fill the memory, and a sign-up waiting for
    confirmation or approval is let in on its first request after it is.

    The index by account holds digests that may have left the cache since (evicted as the
    oldest, or expired): forgetting one of those is a no-op. It stays bounded like the cache:
    an account's digests are pruned to the live ones whenever they outgrow ``PRUNE_AT``, and
    at most ``max_entries`` accounts, the one whose token was stored least recently out first."""

    PRUNE_AT = 64

    def __init__(self, ttl_s: float = 30.0, max_entries: int = 100_000) -> None:
        super().__init__(max_entries, ttl_s=ttl_s)
        self._by_account: BoundedCache[int, set[str]] = BoundedCache(max_entries)

    def put(self, key: str, value: Caller) -> Caller:
        super().put(key, value)
        if value.account_id is not None:
            # Stored again with each token: an account leaves the index only after
            # max_entries tokens were stored since its last, when the cache holds none of its.
            held = self._by_account.put(value.account_id,
                                        self._by_account.get(value.account_id) or set())
            held.add(key)
            if len(held) > self.PRUNE_AT:
                held.intersection_update([d for d in held if self.get(d) is not None])
        return value

    def forget_account(self, account_id: int) -> int:
        """Drop every cached token of the account; returns how many were cached."""
        held = self._by_account.get(account_id) or set()
        self._by_account.forget(account_id)
        dropped = sum(1 for digest in held if self.get(digest) is not None)
        for digest in held:
            self.forget(digest)
        return dropped

    def clear(self) -> None:
        super().clear()
        self._by_account.clear()
