"""SQL for who gets in: networks and the e-mail domains they claimed, e-mail confirmations, the
approval queue and the first-run setup code."""

from __future__ import annotations

import asyncpg

from services.graph.store.accounts import account_page
from shared.contracts.graph import IdPage
from shared.records import AccountRecord

# --- networks and their domains -----------------------------------------------------------------


async def any_network(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM networks)"))


async def insert_network(conn: asyncpg.Connection, network_id: int, domain: str, name: str
                         ) -> bool:
    """Make the network and claim its domain; False if the domain is claimed already."""
    if await network_of_domain(conn, domain) is not None:
        return False
    made = await conn.fetchval(
        "INSERT INTO networks (id, domain, name) VALUES ($1, $2, $3) "
        "ON CONFLICT (domain) DO NOTHING RETURNING id", network_id, domain, name)
    if made is None:
        return False
    return await claim_domain(conn, network_id, domain)


async def network_of_domain(conn: asyncpg.Connection, domain: str) -> asyncpg.Record | None:
    """The network that claimed ``domain`` (id, name, invitation_only), or None."""
    return await conn.fetchrow(
        "SELECT n.id, n.name, n.invitation_only FROM network_domains d "
        "JOIN networks n ON n.id = d.network_id WHERE d.domain = lower($1)", domain)


async def claim_domain(conn: asyncpg.Connection, network_id: int, domain: str) -> bool:
    """Claim ``domain`` for the network; False if a network (this one or another) holds it."""
    claimed = await conn.fetchval(
        "INSERT INTO network_domains (domain, network_id) VALUES (lower($1), $2) "
        "ON CONFLICT (domain) DO NOTHING RETURNING true", domain, network_id)
    return bool(claimed)


async def release_domain(conn: asyncpg.Connection, network_id: int, domain: str) -> bool:
    """Give up a claimed domain (never the network's own); False if it was not this network's
    to release."""
    released = await conn.fetchval(
        "DELETE FROM network_domains d USING networks n WHERE d.domain = lower($2) "
        "AND d.network_id = $1 AND n.id = d.network_id AND n.domain <> d.domain "
        "RETURNING true", network_id, domain)
    return bool(released)


async def domains_of(conn: asyncpg.Connection, network_id: int) -> list[asyncpg.Record]:
    """The network's claimed domains (domain, claimed_at in ms, primary), its own first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT d.domain, (extract(epoch FROM d.claimed_at) * 1000)::bigint AS claimed_at, "
        "d.domain = n.domain AS primary FROM network_domains d "
        "JOIN networks n ON n.id = d.network_id WHERE d.network_id = $1 "
        "ORDER BY d.domain = n.domain DESC, d.domain", network_id)
    return rows


# --- e-mail confirmations ------------------------------------------------------------------------


async def insert_confirmation(conn: asyncpg.Connection, *, token_hash: str, account_id: int,
                              email: str, valid_s: int) -> None:
    """A new link for the account; earlier ones stop working (only the latest mail counts)."""
    await conn.execute(
        "UPDATE email_confirmations SET used_at = now() "
        "WHERE account_id = $1 AND used_at IS NULL", account_id)
    await conn.execute(
        "INSERT INTO email_confirmations (token_hash, account_id, email, expires_at) "
        "VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        token_hash, account_id, email, valid_s)


async def take_confirmation(conn: asyncpg.Connection, token_hash: str) -> asyncpg.Record | None:
    """The confirmation for this digest (account_id, email, usable), locked and marked used if
    it was usable: a link works once."""
    row = await conn.fetchrow(
        "SELECT account_id, email, used_at IS NULL AND expires_at > now() AS usable "
        "FROM email_confirmations WHERE token_hash = $1 FOR UPDATE", token_hash)
    if row is not None and row["usable"]:
        await conn.execute("UPDATE email_confirmations SET used_at = now() "
                           "WHERE token_hash = $1", token_hash)
    return row


async def lock_sign_up(conn: asyncpg.Connection, account_id: int) -> asyncpg.Record | None:
    """The account's membership facts (network_id, email, confirmed, approved, deactivated,
    approval_required, network name), its row locked until the transaction ends."""
    return await conn.fetchrow(
        "SELECT a.network_id, a.email, a.confirmed_at IS NOT NULL AS confirmed, "
        "a.approved_at IS NOT NULL AS approved, a.deactivated_at IS NOT NULL AS deactivated, "
        "a.approval_required, "
        "n.name AS network_name FROM accounts a JOIN networks n ON n.id = a.network_id "
        "WHERE a.id = $1 FOR UPDATE OF a", account_id)


async def confirm(conn: asyncpg.Connection, account_id: int, *, approve: bool) -> None:
    """Raises asyncpg's UniqueViolationError if another account confirmed the address first."""
    await conn.execute(
        "UPDATE accounts SET confirmed_at = now(), "
        "approved_at = CASE WHEN $2 THEN coalesce(approved_at, now()) ELSE approved_at END "
        "WHERE id = $1", account_id, approve)


async def set_email(conn: asyncpg.Connection, account_id: int, email: str) -> None:
    await conn.execute("UPDATE accounts SET email = $2 WHERE id = $1", account_id, email)


async def email_confirmed(conn: asyncpg.Connection, email: str) -> bool:
    """Whether a confirmed account has this address."""
    return bool(await conn.fetchval(
        "SELECT true FROM accounts WHERE lower(email) = lower($1) AND confirmed_at IS NOT NULL",
        email))


# --- the approval queue --------------------------------------------------------------------------


async def awaiting_approval(conn: asyncpg.Connection, network_id: int, page: IdPage
                            ) -> list[AccountRecord]:
    return await account_page(
        conn, "a.network_id = $1 AND a.confirmed_at IS NOT NULL AND a.approved_at IS NULL "
        "AND a.deactivated_at IS NULL", [network_id], page)


async def approve(conn: asyncpg.Connection, account_id: int) -> None:
    await conn.execute("UPDATE accounts SET approved_at = now() WHERE id = $1", account_id)


async def reject(conn: asyncpg.Connection, account_id: int) -> None:
    """A rejected request ends as a deactivated account: its username stays taken (a
    rejected name must not come back as someone else) and it never becomes a member."""
    await conn.execute("UPDATE accounts SET deactivated_at = now() WHERE id = $1", account_id)


# --- first-run setup ------------------------------------------------------------------------------


async def set_setup_code(conn: asyncpg.Connection, code_hash: str) -> None:
    await conn.execute(
        "INSERT INTO instance_setup (code_hash) VALUES ($1) "
        "ON CONFLICT (only_row) DO UPDATE SET code_hash = EXCLUDED.code_hash, created_at = now()",
        code_hash)


async def setup_code_hash(conn: asyncpg.Connection) -> str | None:
    found: str | None = await conn.fetchval("SELECT code_hash FROM instance_setup")
    return found


async def forget_setup_code(conn: asyncpg.Connection) -> None:
    await conn.execute("DELETE FROM instance_setup")
