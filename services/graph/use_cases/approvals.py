"""The approval queue: where registrations need approval (``HUBBUB_REGISTRATIONS=approval``), a
confirmed sign-up waits until one of its network's admins approves or rejects it."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, audit, mail, store
from services.graph.store import membership as membership_store
from services.graph.use_cases.network_admin import admin_of
from shared import errors, events, outbox
from shared.contracts.graph import Accounts, NetworkMembersPage
from shared.contracts.membership import ApprovalDecision
from shared.records import AccountRecord
from shared.settings import Settings


class Approvals:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis, settings: Settings) -> None:
        self.pool = pool
        self.cache = cache
        self.settings = settings

    async def waiting(self, req: NetworkMembersPage) -> Accounts:
        async with self.pool.acquire() as conn:
            admin = await admin_of(conn, req.account_id)
            return Accounts(accounts=await membership_store.awaiting_approval(
                conn, admin["network_id"], req.page))

    async def approve(self, req: ApprovalDecision) -> AccountRecord:
        return await self._decide(req, approved=True)

    async def reject(self, req: ApprovalDecision) -> AccountRecord:
        return await self._decide(req, approved=False)

    async def _decide(self, req: ApprovalDecision, *, approved: bool) -> AccountRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            admin = await admin_of(conn, req.account_id)
            waiting = await membership_store.lock_sign_up(conn, req.target_id)
            # Someone not waiting in this network's queue is unknown here (404, as for any id
            # of another network).
            if (waiting is None or waiting["network_id"] != admin["network_id"]
                    or not waiting["confirmed"] or waiting["approved"]
                    or waiting["deactivated"]):
                raise errors.NotFound("Record not found")
            if approved:
                await membership_store.approve(conn, req.target_id)
                await outbox.add(conn, "graph", events.AccountJoined(
                    account_id=req.target_id, network_id=waiting["network_id"]))
            else:
                await membership_store.reject(conn, req.target_id)
            await audit.record(conn, network_id=waiting["network_id"],
                               action="account.approved" if approved else "account.rejected",
                               actor_id=req.account_id, target_id=req.target_id,
                               context=req.audit)
            await mail.tell_decision(conn, self.settings, email=waiting["email"],
                                     network_name=waiting["network_name"], approved=approved)
            [account] = await store.accounts_by_ids(conn, [req.target_id])
        await account_cache.put(self.cache, [account])
        return account
