"""A network's identity provider, as its admins configure it. The gateway has already fetched
and checked the provider's discovery document; here the role is checked against the database
and the fields' limits held. The client secret is write-only: no reply carries it, except
``ProviderForSignIn``'s, which only the gateway's sign-in asks for."""

from __future__ import annotations

import re

import asyncpg

from services.graph.store import sso as store
from services.graph.use_cases.network_admin import admin_of
from shared import errors
from shared.contracts.sso import (
    ConfigureSso,
    FindProvider,
    Provider,
    SsoSettings,
    SsoSettingsRequest,
)

CLAIM = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
MAX_ISSUER = 500
MAX_CLIENT_ID = 255
MAX_SECRET = 1000
MAX_DISPLAY_NAME = 60


def settings_of(row: asyncpg.Record) -> SsoSettings:
    return SsoSettings(network_id=row["network_id"], issuer=row["issuer"],
                       client_id=row["client_id"], email_claim=row["email_claim"],
                       display_name=row["display_name"], required=row["required"],
                       updated_at=row["updated_at"])


def _checked(req: ConfigureSso) -> ConfigureSso:
    problems = []
    if not 1 <= len(req.issuer) <= MAX_ISSUER:
        problems.append(f"issuer must be 1 to {MAX_ISSUER} characters")
    if not 1 <= len(req.client_id.strip()) <= MAX_CLIENT_ID:
        problems.append(f"client_id must be 1 to {MAX_CLIENT_ID} characters")
    if req.client_secret is not None and not 1 <= len(req.client_secret) <= MAX_SECRET:
        problems.append(f"client_secret must be 1 to {MAX_SECRET} characters")
    if not CLAIM.fullmatch(req.email_claim):
        problems.append("email_claim must be a claim name (letters, digits, _ . : -)")
    if not 1 <= len(req.display_name.strip()) <= MAX_DISPLAY_NAME:
        problems.append(f"display_name must be 1 to {MAX_DISPLAY_NAME} characters")
    if problems:
        raise errors.Invalid("Validation failed: " + ", ".join(problems))
    return req


class GetSsoSettings:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: SsoSettingsRequest) -> SsoSettings:
        async with self.pool.acquire() as conn:
            admin = await admin_of(conn, req.account_id)
            row = await store.provider_of_network(conn, admin["network_id"])
        if row is None:
            raise errors.NotFound("This network has no identity provider")
        return settings_of(row)


class ConfigureIdentityProvider:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: ConfigureSso) -> SsoSettings:
        req = _checked(req)
        async with self.pool.acquire() as conn, conn.transaction():
            admin = await admin_of(conn, req.account_id)
            saved = await store.save_provider(
                conn, network_id=admin["network_id"], issuer=req.issuer,
                client_id=req.client_id.strip(), client_secret=req.client_secret,
                email_claim=req.email_claim, display_name=req.display_name.strip(),
                required=req.required)
            if not saved:
                raise errors.Invalid("Validation failed: client_secret can't be blank",
                                     {"client_secret": [(errors.BLANK, "can't be blank")]})
            # TODO(audit, #14 item 5): "sso.configured" by req.account_id: issuer, client_id,
            # required, and whether the secret changed (never the secret itself).
            row = await store.provider_of_network(conn, admin["network_id"])
        assert row is not None
        return settings_of(row)


class RemoveIdentityProvider:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: SsoSettingsRequest) -> SsoSettings:
        async with self.pool.acquire() as conn, conn.transaction():
            admin = await admin_of(conn, req.account_id)
            row = await store.provider_of_network(conn, admin["network_id"])
            if row is None:
                raise errors.NotFound("This network has no identity provider")
            # Linked identities stay: the same provider configured again finds its people.
            await store.delete_provider(conn, admin["network_id"])
            # TODO(audit, #14 item 5): "sso.removed" by req.account_id, issuer.
        return settings_of(row)


class ProviderForSignIn:
    """The provider of the network that claimed an e-mail domain (or of a network), with its
    secret: for the gateway's sign-in only (its NATS permissions are the fence)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: FindProvider) -> Provider:
        async with self.pool.acquire() as conn:
            if req.network_id is not None:
                row = await store.provider_of_network(conn, req.network_id)
            elif req.domain:
                row = await store.provider_for_domain(conn, req.domain[:253])
            else:
                row = None
        if row is None:
            raise errors.NotFound("No organisation sign-in is set up for this address")
        return Provider(network_id=row["network_id"], issuer=row["issuer"],
                        client_id=row["client_id"], client_secret=row["client_secret"],
                        email_claim=row["email_claim"], display_name=row["display_name"],
                        required=row["required"])
