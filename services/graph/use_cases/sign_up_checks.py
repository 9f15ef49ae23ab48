"""The check of a sign-up against its network's blocks (sign_up_blocks.py keeps them): the
canonical form of an address, its digest, and ``check_sign_up`` for registration."""

from __future__ import annotations

import hashlib
import ipaddress

import asyncpg

from services.graph.store import sign_up_blocks as block_store
from shared import errors

BLOCKED_EMAIL = "is not allowed"
BLOCKED_IP = "Sign-ups from your address are blocked by this organisation"


def canonical_email(email: str) -> str:
    """Mastodon's canonical form, for every domain: lowercase, and in the local part the dots
    dropped and anything from a ``+`` on."""
    local, _, domain = email.strip().lower().partition("@")
    local = local.replace(".", "").split("+", 1)[0]
    return f"{local}@{domain}"


def email_digest(email: str) -> str:
    return hashlib.sha256(canonical_email(email).encode()).hexdigest()


async def check_sign_up(conn: asyncpg.Connection, network_id: int, email: str,
                        ip: str | None, *, invited: bool) -> bool:
    """Raise if the network blocks this sign-up; True if it must wait for approval."""
    domain = email.rpartition("@")[2].lower()
    if (await block_store.matching_canonical(conn, network_id, email_digest(email))
            or await block_store.blocked_domain(conn, network_id, domain)):
        raise errors.Invalid(f"Validation failed: email {BLOCKED_EMAIL}",
                             {"email": [(errors.BLOCKED, BLOCKED_EMAIL)]})
    if invited or not ip or _address(ip) is None:
        return False
    severities = await block_store.ip_severities(conn, network_id, ip)
    if severities & {"sign_up_block", "no_access"}:
        raise errors.Forbidden(BLOCKED_IP)
    return "sign_up_requires_approval" in severities


def _address(ip: str) -> str | None:
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None
