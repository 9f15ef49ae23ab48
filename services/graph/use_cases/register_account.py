"""RegisterAccount: a new account in the network of its e-mail domain (created on first use;
its first account becomes the network's admin), or, with an invitation, in the network that
invited its e-mail address, whatever that address's domain."""

from __future__ import annotations

import hashlib
import re

import asyncpg

from services.graph import store
from services.graph.passwords import Passwords
from shared import errors, events, outbox
from shared.contracts.graph import RegisterWithInvitation as Request
from shared.ids import new_id
from shared.records import AccountRecord

USERNAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")
EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
MAX_USERNAME = 30
MAX_DISPLAY_NAME = 100
BLANK = "can't be blank"
TAKEN_USERNAME = "Validation failed: username is already taken"
BAD_INVITATION = "Validation failed: invite_code is not valid for this e-mail address"


def _length_detail(value: str, least: int, most: int) -> tuple[str, str]:
    if not value:
        return errors.BLANK, BLANK
    if len(value) < least:
        return errors.TOO_SHORT, f"is too short (minimum is {least} characters)"
    return errors.TOO_LONG, f"is too long (maximum is {most} characters)"


def _username_detail(username: str) -> tuple[str, str]:
    if not username or len(username) > MAX_USERNAME:
        return _length_detail(username, 1, MAX_USERNAME)
    return errors.INVALID, "must contain only letters, numbers and underscores"


def _taken(field: str) -> errors.Details:
    return {field: [(errors.TAKEN, "has already been taken")]}


def invitation_digest(code: str) -> str:
    """Invitation codes are stored as SHA-256 digests: a database dump invites nobody."""
    return hashlib.sha256(code.encode()).hexdigest()


class RegisterAccount:
    def __init__(self, pool: asyncpg.Pool, passwords: Passwords) -> None:
        self.pool = pool
        self.passwords = passwords

    async def __call__(self, req: Request) -> AccountRecord:
        username = req.username.strip()
        email = req.email.strip()
        invite_code = (req.invite_code or "").strip()
        problems: dict[str, str] = {}  # the message's words, per field
        details: errors.Details = {}  # Mastodon's codes, per field
        if not USERNAME.match(username):
            problems["username"] = "must be 1-30 letters, digits or underscores"
            errors.add(details, "username", *_username_detail(username))
        match = EMAIL.match(email)
        if not match:
            problems["email"] = "is not an e-mail address"
            errors.add(details, "email", *((errors.BLANK, BLANK) if not email
                                           else (errors.INVALID, "is invalid")))
        if not MIN_PASSWORD <= len(req.password) <= MAX_PASSWORD:
            problems["password"] = f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"
            errors.add(details, "password", *_length_detail(req.password, MIN_PASSWORD,
                                                            MAX_PASSWORD))
        if len(req.display_name) > MAX_DISPLAY_NAME:
            problems["display_name"] = f"must be at most {MAX_DISPLAY_NAME} characters"
            errors.add(details, "display_name", errors.TOO_LONG,
                       f"is too long (maximum is {MAX_DISPLAY_NAME} characters)")
        if problems:
            raise errors.Invalid("Validation failed: " + ", ".join(
                f"{field} {why}" for field, why in problems.items()), details)
        domain = match.group(1).lower()  # type: ignore[union-attr]
        password_hash = await self.passwords.hash(req.password)
        account_id = new_id()
        async with self.pool.acquire() as conn, conn.transaction():
            invitation_id = None
            if invite_code:
                invitation = await self._invitation(conn, invite_code, email)
                invitation_id, network_id = invitation["id"], invitation["network_id"]
            else:
                network = await store.network_for_domain(conn, domain)
                if network is not None and network["invitation_only"]:
                    raise errors.Forbidden("This network accepts members by invitation only")
                network_id = network["id"] if network else await store.insert_network(
                    conn, new_id(), domain)
            # A taken username is said first, whatever the e-mail: usernames are public (every
            # profile and mention shows one), e-mail addresses are not, so the answer to a taken
            # username must not depend on whether the address has an account too.
            if await store.accounts_by_usernames(conn, [username]):
                raise errors.Invalid(TAKEN_USERNAME, _taken("username"))
            first = not await store.network_has_accounts(conn, network_id)
            try:
                await store.insert_account(
                    conn, account_id=account_id, network_id=network_id, username=username,
                    email=email, password_hash=password_hash,
                    display_name=req.display_name.strip(), role="admin" if first else "member",
                )
            except asyncpg.UniqueViolationError as exc:
                field = "username" if "username" in (exc.constraint_name or "") else "email"
                raise errors.Invalid(f"Validation failed: {field} is already taken",
                                     _taken(field)) from exc
            if invitation_id is not None:
                await store.accept_invitation(conn, invitation_id, account_id)
            await outbox.add(conn, "graph", events.AccountCreated(
                account_id=account_id, network_id=network_id, username=username))
            [account] = await store.accounts_by_ids(conn, [account_id])
        return account

    async def _invitation(self, conn: asyncpg.Connection, code: str, email: str
                          ) -> asyncpg.Record:
        """The open invitation for this code and e-mail, locked until the account is written:
        two registrations racing with one code cannot both use it."""
        invitation = await store.lock_open_invitation(conn, invitation_digest(code))
        if invitation is None or invitation["email"].lower() != email.lower():
            raise errors.Invalid(BAD_INVITATION, {"invite_code": [
                (errors.INVALID, "is not valid for this e-mail address")]})
        return invitation
