"""SQL for single sign-on: a network's identity provider and the (issuer, subject) identities
linked to accounts."""

from __future__ import annotations

import asyncpg

PROVIDER_COLUMNS = (
    "p.network_id, p.issuer, p.client_id, p.client_secret, p.email_claim, p.display_name, "
    "p.required, (extract(epoch FROM p.updated_at) * 1000)::bigint AS updated_at")


async def provider_of_network(conn: asyncpg.Connection, network_id: int
                              ) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {PROVIDER_COLUMNS} FROM identity_providers p WHERE p.network_id = $1",
        network_id)


async def provider_for_domain(conn: asyncpg.Connection, domain: str) -> asyncpg.Record | None:
    """The provider of the network that claimed this e-mail domain."""
    return await conn.fetchrow(
        f"SELECT {PROVIDER_COLUMNS} FROM network_domains d "
        "JOIN identity_providers p ON p.network_id = d.network_id WHERE d.domain = $1",
        domain.lower())


async def domain_claimed_by(conn: asyncpg.Connection, domain: str, network_id: int) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM network_domains WHERE domain = $1 AND network_id = $2)",
        domain.lower(), network_id))


async def save_provider(conn: asyncpg.Connection, *, network_id: int, issuer: str,
                        client_id: str, client_secret: str | None, email_claim: str,
                        display_name: str, required: bool) -> bool:
    """Insert or replace; a None secret keeps the stored one. False when there is none to
    keep (a first configuration without a secret)."""
    if client_secret is None:
        status = await conn.execute(
            "UPDATE identity_providers SET issuer = $2, client_id = $3, email_claim = $4, "
            "display_name = $5, required = $6, updated_at = now() WHERE network_id = $1",
            network_id, issuer, client_id, email_claim, display_name, required)
        return bool(status != "UPDATE 0")
    await conn.execute(
        "INSERT INTO identity_providers (network_id, issuer, client_id, client_secret, "
        "email_claim, display_name, required) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (network_id) DO UPDATE SET issuer = $2, client_id = $3, "
        "client_secret = $4, email_claim = $5, display_name = $6, required = $7, "
        "updated_at = now()",
        network_id, issuer, client_id, client_secret, email_claim, display_name, required)
    return True


async def delete_provider(conn: asyncpg.Connection, network_id: int) -> None:
    await conn.execute("DELETE FROM identity_providers WHERE network_id = $1", network_id)


async def sso_required_for_account(conn: asyncpg.Connection, account_id: int) -> str | None:
    """The display name of the provider the account's network requires, if it requires one."""
    value: str | None = await conn.fetchval(
        "SELECT p.display_name FROM accounts a JOIN identity_providers p "
        "ON p.network_id = a.network_id AND p.required WHERE a.id = $1", account_id)
    return value


async def sso_required_for_domain(conn: asyncpg.Connection, domain: str) -> str | None:
    """The same for the network that claimed an e-mail domain."""
    value: str | None = await conn.fetchval(
        "SELECT p.display_name FROM network_domains d JOIN identity_providers p "
        "ON p.network_id = d.network_id AND p.required WHERE d.domain = $1", domain.lower())
    return value


async def account_of_identity(conn: asyncpg.Connection, issuer: str, subject: str
                              ) -> int | None:
    value: int | None = await conn.fetchval(
        "SELECT account_id FROM account_identities WHERE issuer = $1 AND subject = $2",
        issuer, subject)
    return value


async def link_identity(conn: asyncpg.Connection, issuer: str, subject: str,
                        account_id: int) -> None:
    await conn.execute(
        "INSERT INTO account_identities (issuer, subject, account_id) VALUES ($1, $2, $3)",
        issuer, subject, account_id)


async def confirmed_account_by_email(conn: asyncpg.Connection, network_id: int, email: str
                                     ) -> asyncpg.Record | None:
    """The account of this network with this confirmed address (one at most: the unique
    index on confirmed addresses), locked until the transaction ends."""
    return await conn.fetchrow(
        "SELECT id, deactivated_at IS NOT NULL AS deactivated FROM accounts "
        "WHERE network_id = $1 AND lower(email) = lower($2) AND confirmed_at IS NOT NULL "
        "FOR UPDATE", network_id, email)


async def username_taken(conn: asyncpg.Connection, username: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE lower(username) = lower($1))", username))
