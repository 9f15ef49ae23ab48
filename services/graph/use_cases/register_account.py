"""RegisterAccount: a sign-up. Nobody makes a network by signing up (operators do: see
create_network.py); an address of a domain no network claimed is refused.

- With an invitation (its code reached the invited address, which proves it), the account is a
  member of the inviting network at once, with the invitation's role, whatever the domain.
- Without one (registrations ``open`` or ``approval``), the account waits unconfirmed, in no
  network's sight, and a confirmation link is mailed (confirm_email.py). If the address already
  has an account, the sign-up answers the same and the address's owner is told by mail instead:
  the answer must not tell whether someone has an account.
"""

from __future__ import annotations

import hashlib
import re

import asyncpg

from services.graph import mail, store
from services.graph.passwords import Passwords
from services.graph.store import membership as membership_store
from services.graph.use_cases.sign_up_checks import check_sign_up
from shared import errors, events, outbox
from shared.contracts.graph import RegisterWithInvitation as Request
from shared.ids import new_id
from shared.records import AccountRecord
from shared.settings import Settings

USERNAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")
EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
MAX_USERNAME = 30
MAX_DISPLAY_NAME = 100
BLANK = "can't be blank"
TAKEN_USERNAME = "Validation failed: username is already taken"
BAD_INVITATION = "Validation failed: invite_code is not valid for this e-mail address"
UNCLAIMED = "is not an address of an organisation on this server"
CLOSED = ("Registrations are closed on this server: ask your organisation's admin for an "
          "invitation, or sign in with your organisation's single sign-on")


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
    def __init__(self, pool: asyncpg.Pool, passwords: Passwords, settings: Settings) -> None:
        self.pool = pool
        self.passwords = passwords
        self.settings = settings

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
        if not invite_code and self.settings.registrations == "closed":
            raise errors.Forbidden(CLOSED)
        password_hash = await self.passwords.hash(req.password)
        account_id = new_id()
        async with self.pool.acquire() as conn, conn.transaction():
            if invite_code:
                invitation = await self._invitation(conn, invite_code, email)
                network_id, role = invitation["network_id"], invitation["role"]
            else:
                network = await membership_store.network_of_domain(conn, domain)
                if network is None:
                    raise errors.Invalid(f"Validation failed: email {UNCLAIMED}",
                                         {"email": [(errors.BLOCKED, UNCLAIMED)]})
                if network["invitation_only"]:
                    raise errors.Forbidden("This network accepts members by invitation only")
                network_id, role, network_name = network["id"], "member", network["name"]
            approval_required = await check_sign_up(conn, network_id, email, req.ip,
                                                    invited=bool(invite_code))
            # A taken username is said first, whatever the e-mail: usernames are public (every
            # profile and mention shows one), e-mail addresses are not, so the answer to a taken
            # username must not depend on whether the address has an account too.
            if await store.accounts_by_usernames(conn, [username]):
                raise errors.Invalid(TAKEN_USERNAME, _taken("username"))
            address_taken = not invite_code and await membership_store.email_confirmed(
                conn, email)
            try:
                await store.insert_account(
                    conn, account_id=account_id, network_id=network_id, username=username,
                    email=email, password_hash=password_hash,
                    display_name=req.display_name.strip(), role=role,
                    confirmed=bool(invite_code), approved=bool(invite_code),
                    approval_required=approval_required)
            except asyncpg.UniqueViolationError as exc:
                # Only an invited address can collide (unconfirmed sign-ups may repeat one):
                # the invitation's holder may learn that its address has an account.
                field = "username" if "username" in (exc.constraint_name or "") else "email"
                raise errors.Invalid(f"Validation failed: {field} is already taken",
                                     _taken(field)) from exc
            await outbox.add(conn, "graph", events.AccountCreated(
                account_id=account_id, network_id=network_id, username=username))
            if invite_code:
                await store.accept_invitation(conn, invitation["id"], account_id)
                await outbox.add(conn, "graph", events.AccountJoined(
                    account_id=account_id, network_id=network_id))
            elif address_taken:
                await mail.tell_already_registered(conn, self.settings, email=email)
            else:
                await mail.send_confirmation(conn, self.settings, account_id=account_id,
                                             email=email, network_name=network_name)
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
