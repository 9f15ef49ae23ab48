"""Network roles and the audit log: an owner or admin gives a member another role (the rules:
services/graph/roles.py), and reads what the network's admins did."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, audit, roles, store
from services.graph.store import audit as audit_store
from services.graph.store import roles as role_store
from services.graph.use_cases.network_admin import (
    ADMINS_ONLY,
    acting_member,
    admin_of,
    refuse_losing_last_owner,
)
from shared import errors, events, outbox
from shared.contracts.network_admin import ROLES, AuditEntries, AuditPage, SetNetworkRole
from shared.records import AccountRecord


class ChangeNetworkRole:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: SetNetworkRole) -> AccountRecord:
        if req.account_id == req.target_id:
            raise errors.Invalid("Validation failed: you cannot change your own role")
        if not roles.is_role(req.role):
            raise errors.Invalid(f"Validation failed: role must be one of {', '.join(ROLES)}")
        async with self.pool.acquire() as conn, conn.transaction():
            actor = await acting_member(conn, req.account_id, lock=True)
            if not roles.administers(actor["role"]):
                raise errors.Forbidden(ADMINS_ONLY)
            target = await store.lock_member(conn, req.target_id)
            if (target is None or target["network_id"] != actor["network_id"]
                    or not target["active"]):
                raise errors.NotFound("Record not found")
            if not roles.may_set_role(actor["role"], target["role"], req.role):
                raise errors.Forbidden("Only the network's owners make or unmake owners "
                                       "and admins")
            if target["role"] != req.role:  # the same role again changes nothing
                await refuse_losing_last_owner(conn, target, "demoted")
                await role_store.set_role(conn, req.target_id, req.role)
                await outbox.add(conn, "graph", events.AccountRoleChanged(
                    account_id=req.target_id, network_id=target["network_id"], role=req.role))
                await audit.record(conn, network_id=target["network_id"],
                                   action="account.role_changed", actor_id=req.account_id,
                                   target_id=req.target_id, context=req.audit,
                                   details={"old_role": target["role"], "new_role": req.role})
            [account] = await store.accounts_by_ids(conn, [req.target_id])
        # The record, not a deletion: the account's JSON shows its new role at once.
        await account_cache.put(self.cache, [account])
        return account


class ReadAuditLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: AuditPage) -> AuditEntries:
        async with self.pool.acquire() as conn:
            member = await admin_of(conn, req.account_id)
            entries = await audit_store.entries_page(
                conn, member["network_id"], max_id=req.max_id, since_id=req.since_id,
                min_id=req.min_id, limit=req.limit)
            named = {i for e in entries for i in (e.actor_id, e.target_id) if i is not None}
            accounts = await store.accounts_by_ids(conn, sorted(named)) if named else []
        return AuditEntries(entries=entries, accounts=accounts)
