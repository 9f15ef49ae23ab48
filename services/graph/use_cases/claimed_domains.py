"""A network's admins claim more e-mail domains for it (a company with several brands), or give
one up (never the network's own). Addresses of a claimed domain sign up into that network."""

from __future__ import annotations

import asyncpg

from services.graph import audit
from services.graph.store import membership as membership_store
from services.graph.use_cases.create_network import valid_domain
from services.graph.use_cases.network_admin import admin_of
from shared import errors
from shared.contracts.graph import NetworkRequest
from shared.contracts.membership import ClaimedDomain, DomainChange, Domains

MAX_DOMAINS = 50


async def _domains(conn: asyncpg.Connection, network_id: int) -> Domains:
    rows = await membership_store.domains_of(conn, network_id)
    return Domains(domains=[ClaimedDomain(**dict(row)) for row in rows])


class ClaimedDomains:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def list(self, req: NetworkRequest) -> Domains:
        async with self.pool.acquire() as conn:
            admin = await admin_of(conn, req.account_id)
            return await _domains(conn, admin["network_id"])

    async def claim(self, req: DomainChange) -> Domains:
        domain = valid_domain(req.domain)
        async with self.pool.acquire() as conn, conn.transaction():
            admin = await admin_of(conn, req.account_id)
            held = await membership_store.network_of_domain(conn, domain)
            if held is not None and held["id"] == admin["network_id"]:
                return await _domains(conn, admin["network_id"])  # claimed already: no change
            if len(await membership_store.domains_of(conn, admin["network_id"])) >= MAX_DOMAINS:
                raise errors.Invalid(f"Validation failed: a network claims at most {MAX_DOMAINS} "
                                     "domains")
            if held is not None or not await membership_store.claim_domain(
                    conn, admin["network_id"], domain):
                raise errors.Conflict(f"The domain {domain} is claimed by another network")
            await audit.record(conn, network_id=admin["network_id"], action="domain.claimed",
                               actor_id=req.account_id, context=req.audit,
                               details={"domain": domain})
            return await _domains(conn, admin["network_id"])

    async def release(self, req: DomainChange) -> Domains:
        domain = valid_domain(req.domain)
        async with self.pool.acquire() as conn, conn.transaction():
            admin = await admin_of(conn, req.account_id)
            if not await membership_store.release_domain(conn, admin["network_id"], domain):
                raise errors.NotFound("This network has not claimed that domain, or it is the "
                                      "network's own")
            await audit.record(conn, network_id=admin["network_id"], action="domain.released",
                               actor_id=req.account_id, context=req.audit,
                               details={"domain": domain})
            return await _domains(conn, admin["network_id"])
