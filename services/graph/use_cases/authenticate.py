"""Authenticate: check an e-mail (or username) and password; the gateway then issues a token."""

from __future__ import annotations

import asyncio

import asyncpg
from argon2.exceptions import InvalidHashError, VerificationError

from services.graph import store
from services.graph.use_cases.register_account import hasher
from shared import errors
from shared.contracts.graph import Authenticate as Request
from shared.records import AccountRecord

# Verifying against a dummy hash when the login is unknown keeps the timing the same, so the
# answer time does not tell which e-mail addresses have accounts.
_DUMMY_HASH = hasher.hash("not a real password")


class Authenticate:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: Request) -> AccountRecord:
        async with self.pool.acquire() as conn:
            row = await store.credentials(conn, req.login)
        stored = row["password_hash"] if row else _DUMMY_HASH
        try:
            await asyncio.to_thread(hasher.verify, stored, req.password)
        except (VerificationError, InvalidHashError):
            row = None
        if row is None:
            raise errors.Unauthorized("Invalid e-mail address or password")
        async with self.pool.acquire() as conn:
            [account] = await store.accounts_by_ids(conn, [row["id"]])
        if account.deactivated:
            raise errors.Unauthorized("Your login is currently disabled")
        return account
