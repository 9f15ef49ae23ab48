"""A network's sign-up blocks (Mastodon's canonical e-mail blocks, e-mail domain blocks and IP
blocks), kept by its owners and admins; registration checks them (register_account.py, through
sign_up_checks.py).

- canonical e-mail: an address in its canonical form (lowercase; in the local part dots dropped
  and anything from a ``+`` on, as Mastodon does for every domain), kept only as its SHA-256:
  ``Ana.Smith+x@Acme.test`` and ``anasmith@acme.test`` are one person's;
- e-mail domain: the address's domain or any domain under it;
- IP: a range (an address alone is its /32 or /128) with a severity: ``sign_up_block`` and
  ``no_access`` refuse sign-ups from it, ``sign_up_requires_approval`` puts them in the
  network's approval queue once confirmed. The address is the client's as the gateway's rate
  limiter sees it (behind trusted proxies).

An invitation is an admin's choice of an address: IP blocks do not apply to it (the invited
may be anywhere), e-mail blocks do."""

from __future__ import annotations

import ipaddress
import re

import asyncpg

from services.graph import audit
from services.graph.store import sign_up_blocks as block_store
from services.graph.use_cases.network_admin import admin_of
from services.graph.use_cases.sign_up_checks import email_digest
from shared import errors
from shared.contracts.moderation import (
    IP_SEVERITIES,
    BlockRef,
    BlocksQuery,
    CheckEmail,
    SaveBlock,
    SignUpBlock,
    SignUpBlocks,
)
from shared.ids import new_id

DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
DIGEST = re.compile(r"^[0-9a-f]{64}$")
MAX_COMMENT = 1000
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600


def _ip_range(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError as exc:
        raise errors.Invalid("Validation failed: ip is not an address or a range",
                             {"ip": [(errors.INVALID, "is invalid")]}) from exc


def _value(req: SaveBlock) -> tuple[str, str | None]:
    """The stored value (and the ip range) of a new block, checked."""
    if req.kind == "canonical_email":
        if req.email:
            if "@" not in req.email or len(req.email) > 320:
                raise errors.Invalid("Validation failed: email is not an e-mail address")
            return email_digest(req.email), None
        digest = (req.value or "").strip().lower()
        if not DIGEST.match(digest):
            raise errors.Invalid("Validation failed: canonical_email_hash must be a SHA-256 "
                                 "hex digest (or give email)")
        return digest, None
    if req.kind == "email_domain":
        domain = (req.value or "").strip().lower().rstrip(".")
        if not DOMAIN.match(domain) or len(domain) > 253:
            raise errors.Invalid("Validation failed: domain is not a domain",
                                 {"domain": [(errors.INVALID, "is invalid")]})
        return domain, None
    ip = _ip_range(req.value or "")
    return ip, ip


def _checked_ip_fields(req: SaveBlock, *, creating: bool) -> None:
    if req.kind != "ip":
        return
    if (req.severity is not None or creating) and req.severity not in IP_SEVERITIES:
        raise errors.Invalid(f"Validation failed: severity must be one of "
                             f"{', '.join(IP_SEVERITIES)}",
                             {"severity": [(errors.INVALID, "is invalid")]})


class ManageSignUpBlocks:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def list(self, req: BlocksQuery) -> SignUpBlocks:
        async with self.pool.acquire() as conn:
            admin = await admin_of(conn, req.account_id)
            return SignUpBlocks(blocks=await block_store.page(
                conn, admin["network_id"], req.kind, max_id=req.max_id,
                since_id=req.since_id, min_id=req.min_id, limit=req.limit))

    async def get(self, req: BlockRef) -> SignUpBlock:
        async with self.pool.acquire() as conn:
            admin = await admin_of(conn, req.account_id)
            return await self._found(conn, admin["network_id"], req.kind, req.id)

    async def test(self, req: CheckEmail) -> SignUpBlocks:
        async with self.pool.acquire() as conn:
            admin = await admin_of(conn, req.account_id)
            return SignUpBlocks(blocks=await block_store.matching_canonical(
                conn, admin["network_id"], email_digest(req.email)))

    async def save(self, req: SaveBlock) -> SignUpBlock:
        if req.comment is not None and (len(req.comment) > MAX_COMMENT or "\x00" in req.comment):
            raise errors.Invalid(f"Validation failed: comment is at most {MAX_COMMENT} "
                                 "characters")
        if req.expires_in is not None and not 0 < req.expires_in <= MAX_EXPIRES_IN:
            raise errors.Invalid("Validation failed: expires_in must be a positive number of "
                                 "seconds")
        _checked_ip_fields(req, creating=req.id is None)
        async with self.pool.acquire() as conn, conn.transaction():
            admin = await admin_of(conn, req.account_id)
            network_id = admin["network_id"]
            if req.id is not None:  # only ip blocks change (Mastodon's PUT)
                await self._found(conn, network_id, req.kind, req.id)
                ip = _ip_range(req.value) if req.value else None
                try:
                    async with conn.transaction():
                        await block_store.update_ip(conn, req.id, value=ip,
                                                    severity=req.severity,
                                                    comment=req.comment,
                                                    expires_in=req.expires_in)
                except asyncpg.UniqueViolationError as exc:
                    raise errors.Invalid("Validation failed: ip is already blocked") from exc
                block = await self._found(conn, network_id, req.kind, req.id)
                action = "ip_block.updated"
            else:
                value, ip = _value(req)
                made = await block_store.insert(
                    conn, block_id=new_id(), network_id=network_id, kind=req.kind,
                    value=value, ip=ip, severity=req.severity if req.kind == "ip" else None,
                    comment=req.comment or "", expires_in=req.expires_in)
                if made is None:
                    raise errors.Invalid(f"Validation failed: {req.kind.replace('_', ' ')} is "
                                         "already blocked")
                block = made
                action = f"{req.kind}_block.created"
            await audit.record(conn, network_id=network_id, action=action,
                               actor_id=req.account_id, context=req.audit,
                               details=_shown(block))
        return block

    async def delete(self, req: BlockRef) -> SignUpBlock:
        async with self.pool.acquire() as conn, conn.transaction():
            admin = await admin_of(conn, req.account_id)
            block = await self._found(conn, admin["network_id"], req.kind, req.id)
            await block_store.delete(conn, block.id)
            await audit.record(conn, network_id=admin["network_id"],
                               action=f"{req.kind}_block.deleted", actor_id=req.account_id,
                               context=req.audit, details=_shown(block))
        return block

    @staticmethod
    async def _found(conn: asyncpg.Connection, network_id: int, kind: str, block_id: int
                     ) -> SignUpBlock:
        block = await block_store.get(conn, network_id, kind, block_id)
        if block is None:  # another network's, another kind's, or none
            raise errors.NotFound("Record not found")
        return block


def _shown(block: SignUpBlock) -> dict[str, str]:
    """What the audit log keeps of a block (a canonical address's digest is not a secret of
    the kind audit.record refuses: the log names it as ``value``)."""
    shown = {"block_id": str(block.id), "value": block.value}
    if block.severity:
        shown["severity"] = block.severity
    return shown
