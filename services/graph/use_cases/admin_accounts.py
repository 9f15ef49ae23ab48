"""The network's accounts as its moderators see them (Mastodon's admin accounts list and
account): every account of the network, members or not yet, with its address and its marks."""

from __future__ import annotations

import asyncpg

from services.graph.store import moderation as mod_store
from services.graph.use_cases.moderate_account import moderator_of
from shared import errors
from shared.contracts.moderation import (
    ACCOUNT_STATUSES,
    AdminAccount,
    AdminAccountQuery,
    AdminAccountRef,
    AdminAccounts,
)
from shared.contracts.network_admin import ROLES

MAX_FILTER = 320  # an e-mail address's length: no filter is longer


class ListAdminAccounts:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: AdminAccountQuery) -> AdminAccounts:
        if req.status is not None and req.status not in ACCOUNT_STATUSES:
            raise errors.Invalid(f"Validation failed: status must be one of "
                                 f"{', '.join(ACCOUNT_STATUSES)}")
        if any(r not in ROLES for r in req.roles):
            raise errors.Invalid(f"Validation failed: role must be one of {', '.join(ROLES)}")
        texts = (req.username, req.display_name, req.email, req.by_domain)
        if any(t is not None and (len(t) > MAX_FILTER or "\x00" in t) for t in texts):
            raise errors.Invalid(f"Validation failed: a filter is at most {MAX_FILTER} "
                                 "characters")
        async with self.pool.acquire() as conn:
            moderator = await moderator_of(conn, req.account_id)
            if req.remote:  # every account of a network is local to it
                return AdminAccounts(accounts=[])
            return AdminAccounts(accounts=await mod_store.admin_accounts_page(
                conn, moderator["network_id"], status=req.status, roles=req.roles,
                username=req.username or None, display_name=req.display_name or None,
                email=req.email or None, by_domain=req.by_domain or None,
                sensitized=req.sensitized, staff=req.staff, max_id=req.max_id,
                since_id=req.since_id, min_id=req.min_id, limit=req.limit))


class GetAdminAccount:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: AdminAccountRef) -> AdminAccount:
        async with self.pool.acquire() as conn:
            moderator = await moderator_of(conn, req.account_id)
            found = await mod_store.admin_accounts_by_ids(conn, moderator["network_id"],
                                                          [req.target_id])
        if not found:  # another network's, or none
            raise errors.NotFound("Record not found")
        return found[0]
