"""Authenticate: check an e-mail (or username) and password; the gateway then issues a token."""

from __future__ import annotations

import asyncpg

from services.graph import store
from services.graph.passwords import Passwords, hasher
from shared import errors
from shared.contracts.graph import Authenticate as Request
from shared.records import AccountRecord

# Verifying against a dummy hash when the login is unknown keeps the timing the same, so the
# answer time does not tell which e-mail addresses have accounts.
_DUMMY_HASH = hasher.hash("not a real password")


class Authenticate:
    def __init__(self, pool: asyncpg.Pool, passwords: Passwords) -> None:
        self.pool = pool
        self.passwords = passwords

    async def __call__(self, req: Request) -> AccountRecord:
        async with self.pool.acquire() as conn:
            row = await store.credentials(conn, req.login)
        stored = row["password_hash"] if row else _DUMMY_HASH
        if not await self.passwords.verify(stored, req.password):
            row = None
        if row is None:
            raise errors.Unauthorized("Invalid e-mail address or password")
        async with self.pool.acquire() as conn:
            [account] = await store.accounts_by_ids(conn, [row["id"]])
        if account.deactivated:
            raise errors.Unauthorized("Your login is currently disabled")
        return account
