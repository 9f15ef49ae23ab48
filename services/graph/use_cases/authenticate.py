"""Authenticate: check an e-mail (or username) and password; the gateway then issues a token.

A network that requires single sign-on refuses passwords for its accounts (``SsoRequired``,
a 403 naming the provider). For an e-mail address the refusal comes before the password is
checked, from the address's domain alone (which network claimed a domain is no secret), so the
person is told where to go even without a password; for a username it comes only after the
password matched, so that it does not tell who has an account."""

from __future__ import annotations

import asyncpg

from services.graph import store
from services.graph.passwords import Passwords, hasher
from services.graph.store import sso as sso_store
from services.graph.use_cases.register_account import EMAIL
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
        address = EMAIL.match(req.login.strip())
        async with self.pool.acquire() as conn:
            if address is not None:
                required = await sso_store.sso_required_for_domain(conn, address.group(1))
                if required is not None:
                    raise sso_required(required)
            row = await store.credentials(conn, req.login)
        stored = row["password_hash"] if row else _DUMMY_HASH
        if not await self.passwords.verify(stored, req.password):
            row = None
        if row is None:
            raise errors.Unauthorized("Invalid e-mail address or password")
        async with self.pool.acquire() as conn:
            [account] = await store.accounts_by_ids(conn, [row["id"]])
        if account.barred:
            raise errors.Unauthorized("Your login is currently disabled")
        async with self.pool.acquire() as conn:
            required = await sso_store.sso_required_for_account(conn, account.id)
        if required is not None:
            raise sso_required(required)
        return account


def sso_required(provider: str) -> errors.Forbidden:
    return errors.Forbidden(f"Your organisation requires single sign-on: sign in with "
                            f"{provider} instead of a password.")
