"""ConfirmAddress and ResendConfirmationMail: the link in the confirmation e-mail makes a sign-up a
member of the network that claimed its address's domain, or, where registrations need
approval, puts it in that network's approval queue (approvals.py)."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, mail, store
from services.graph.store import membership as membership_store
from services.graph.use_cases.register_account import EMAIL, UNCLAIMED
from shared import errors, events, outbox
from shared.contracts.membership import (
    Confirmed,
    ConfirmEmail,
    MembershipState,
    Nothing,
    ResendConfirmation,
)
from shared.settings import Settings

BAD_LINK = ("This confirmation link is not valid: it was used already, it expired, or a newer "
            "one was sent. Ask for a new one from the sign-in page.")
ADDRESS_TAKEN = "This address already has an account: sign in with it instead"
MAX_TOKEN = 200  # links carry 43 characters; anything far longer is not one of ours


def state_of(confirmed: bool, approved: bool) -> MembershipState:
    if not confirmed:
        return "unconfirmed"
    return "member" if approved else "awaiting_approval"


class ConfirmAddress:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis, settings: Settings) -> None:
        self.pool = pool
        self.cache = cache
        self.settings = settings

    async def __call__(self, req: ConfirmEmail) -> Confirmed:
        token = req.token.strip()
        if not token or len(token) > MAX_TOKEN:
            raise errors.Invalid(BAD_LINK)
        async with self.pool.acquire() as conn, conn.transaction():
            link = await membership_store.take_confirmation(conn, mail.link_digest(token))
            if link is None or not link["usable"]:
                raise errors.Invalid(BAD_LINK)
            account = await membership_store.lock_sign_up(conn, link["account_id"])
            if account is None or account["deactivated"] or (
                    account["email"].lower() != link["email"].lower()):
                raise errors.Invalid(BAD_LINK)  # the address changed since this link was sent
            # An IP block may have asked for approval of this one sign-up (sign_up_blocks.py).
            approve = (self.settings.registrations == "open"
                       and not account["approval_required"])
            try:
                async with conn.transaction():  # a savepoint: the link stays unused on failure
                    await membership_store.confirm(conn, link["account_id"], approve=approve)
            except asyncpg.UniqueViolationError as exc:
                raise errors.Invalid(ADDRESS_TAKEN) from exc
            state = state_of(True, approve or account["approved"])
            if state == "member":
                await outbox.add(conn, "graph", events.AccountJoined(
                    account_id=link["account_id"], network_id=account["network_id"]))
            [record] = await store.accounts_by_ids(conn, [link["account_id"]])
        await account_cache.put(self.cache, [record])
        return Confirmed(account_id=record.id, state=state,
                         network_name=account["network_name"])


class ResendConfirmationMail:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis, settings: Settings) -> None:
        self.pool = pool
        self.cache = cache
        self.settings = settings

    async def __call__(self, req: ResendConfirmation) -> Nothing:
        async with self.pool.acquire() as conn, conn.transaction():
            account = await membership_store.lock_sign_up(conn, req.account_id)
            if account is None or account["deactivated"]:
                raise errors.NotFound("Record not found")
            if account["confirmed"]:
                raise errors.Forbidden("This account's address is already confirmed")
            email = account["email"]
            if req.email is not None and req.email.strip() != email:
                email = req.email.strip()
                match = EMAIL.match(email)
                if not match or len(email) > 320:
                    raise errors.Invalid("Validation failed: email is not an e-mail address",
                                         {"email": [(errors.INVALID, "is invalid")]})
                # The corrected address stays in the same organisation's network.
                network = await membership_store.network_of_domain(conn, match.group(1))
                if network is None or network["id"] != account["network_id"]:
                    raise errors.Invalid(f"Validation failed: email {UNCLAIMED}",
                                         {"email": [(errors.BLOCKED, UNCLAIMED)]})
                await membership_store.set_email(conn, req.account_id, email)
            if await membership_store.email_confirmed(conn, email):
                await mail.tell_already_registered(conn, self.settings, email=email)
            else:
                await mail.send_confirmation(conn, self.settings, account_id=req.account_id,
                                             email=email, network_name=account["network_name"])
        return Nothing()
