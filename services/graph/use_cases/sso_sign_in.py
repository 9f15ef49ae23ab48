"""SignInWithProvider: the account of a person the network's identity provider vouched for
(the gateway verified the ID token first), created on the first sign-in.

- Later sign-ins find the account by the provider's (issuer, ``sub``), never by e-mail: the
  address may change at the provider and still reach the same account, and an address reused
  for someone else does not hand them the old account.
- First sign-in (just-in-time provisioning): the e-mail's domain must be one this network
  claimed, the address present and not marked unverified. The account is confirmed and
  approved at once: the company's own directory vouches for the person.
- An existing password account of this network with the same confirmed address is linked
  rather than duplicated. That is safe because the provider is the network's own, configured
  by its admins: it already decides who holds the company's addresses, so it may speak for
  one of them here. A provider of another network never reaches this network's accounts (its
  domain check below), and a deactivated account is never revived by signing in."""

from __future__ import annotations

import re
import secrets

import asyncpg

from services.graph import store
from services.graph.store import sso as sso_store
from services.graph.use_cases.register_account import EMAIL, MAX_DISPLAY_NAME, MAX_USERNAME
from shared import errors, events, outbox
from shared.contracts.sso import SsoSignIn
from shared.ids import new_id
from shared.records import AccountRecord

# Not an Argon2 hash: it never verifies, so an account made by single sign-on has no password.
NO_PASSWORD = "!sso"
NOT_USERNAME = re.compile(r"[^A-Za-z0-9_]+")
DEACTIVATED = "This account is deactivated: ask your organisation's Hubbub admins."


def username_base(preferred: str | None, email: str) -> str:
    """A valid username from ``preferred_username`` or the address's local part: letters,
    digits and underscores, at most 30."""
    for candidate in (preferred or "", email.split("@")[0]):
        base = NOT_USERNAME.sub("_", candidate.split("@")[0]).strip("_")[:MAX_USERNAME]
        if base:
            return base
    return "user"


async def unique_username(conn: asyncpg.Connection, base: str) -> str:
    if not await sso_store.username_taken(conn, base):
        return base
    for n in range(2, 50):
        candidate = f"{base[:MAX_USERNAME - len(str(n)) - 1]}_{n}"
        if not await sso_store.username_taken(conn, candidate):
            return candidate
    return f"{base[:MAX_USERNAME - 9]}_{secrets.token_hex(4)}"


class SignInWithProvider:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: SsoSignIn) -> AccountRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            provider = await sso_store.provider_of_network(conn, req.network_id)
            if provider is None or provider["issuer"] != req.issuer:
                raise errors.Forbidden("This network's identity provider has changed: "
                                       "please sign in again.")
            account_id = await sso_store.account_of_identity(conn, req.issuer, req.subject)
            if account_id is None:
                account_id = await self._first_sign_in(conn, req)
            member = await store.lock_member(conn, account_id)
            if member is None or member["deactivated"]:
                raise errors.Forbidden(DEACTIVATED)
            [account] = await store.accounts_by_ids(conn, [account_id])
        # TODO(audit, #14 item 5): "sso.sign_in" of account_id (issuer, sub), from the IP and
        # app the gateway passes along.
        return account

    async def _first_sign_in(self, conn: asyncpg.Connection, req: SsoSignIn) -> int:
        email = (req.email or "").strip()
        match = EMAIL.match(email)
        if not match or len(email) > 320:
            raise errors.Invalid("Your organisation's sign-in did not give Hubbub an e-mail "
                                 "address, so no account can be made.")
        if req.email_verified is False:
            raise errors.Forbidden("Your organisation's sign-in says this e-mail address is "
                                   "not verified.")
        if not await sso_store.domain_claimed_by(conn, match.group(1), req.network_id):
            raise errors.Forbidden(f"{match.group(1).lower()} is not a domain of this network.")
        existing = await sso_store.confirmed_account_by_email(conn, req.network_id, email)
        if existing is not None:
            if existing["deactivated"]:
                raise errors.Forbidden(DEACTIVATED)
            await sso_store.link_identity(conn, req.issuer, req.subject, existing["id"])
            # TODO(audit, #14 item 5): "sso.linked": the identity (issuer, sub) linked to the
            # existing password account existing["id"].
            linked: int = existing["id"]
            return linked
        account_id = new_id()
        username = await unique_username(conn, username_base(req.username, email))
        try:
            await store.insert_account(
                conn, account_id=account_id, network_id=req.network_id, username=username,
                email=email, password_hash=NO_PASSWORD,
                display_name=(req.display_name or "").strip()[:MAX_DISPLAY_NAME],
                role="member", confirmed=True, approved=True)
        except asyncpg.UniqueViolationError as exc:
            # The address is confirmed for an account of another network (an invitation), or
            # a username was taken a moment ago: nothing written, the person may try again.
            raise errors.Conflict("An account with this e-mail address already exists "
                                  "elsewhere on Hubbub, or a sign-in raced this one: "
                                  "try again, or ask your admins.") from exc
        await sso_store.link_identity(conn, req.issuer, req.subject, account_id)
        await outbox.add(conn, "graph", events.AccountCreated(
            account_id=account_id, network_id=req.network_id, username=username))
        # TODO(audit, #14 item 5): "sso.provisioned": account_id made for (issuer, sub).
        return account_id
