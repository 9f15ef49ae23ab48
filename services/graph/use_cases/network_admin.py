"""What a network's admins do: rename it, close it to invitations only, choose the apps allowed
the OAuth password grant, invite people by e-mail, deactivate members. The role is checked here,
against the database, never taken from the caller."""

from __future__ import annotations

import re
import secrets

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, store
from services.graph.use_cases.register_account import EMAIL, invitation_digest
from shared import errors, events, outbox
from shared.contracts.graph import (
    CreateInvitation,
    DeactivateAccount,
    Invitation,
    Network,
    UpdateNetwork,
)
from shared.ids import new_id
from shared.records import AccountRecord

MAX_NETWORK_NAME = 100
MAX_PASSWORD_GRANT_APPS = 50
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


async def admin_of(conn: asyncpg.Connection, account_id: int) -> asyncpg.Record:
    member = await store.member_of(conn, account_id)
    if member is None or member["deactivated"]:
        raise errors.NotFound("Record not found")
    if member["role"] != "admin":
        raise errors.Forbidden("Only the network's admins may do this")
    return member


async def network_view(conn: asyncpg.Connection, account_id: int) -> Network:
    member = await store.member_of(conn, account_id)
    if member is None or member["deactivated"]:
        raise errors.NotFound("Record not found")
    row = await store.network(conn, member["network_id"])
    if row is None:  # (the member's account references it: not expected)
        raise errors.NotFound("Record not found")
    return Network(**dict(row), role=member["role"])


class RenameOrCloseNetwork:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: UpdateNetwork) -> Network:
        name = req.name.strip() if req.name is not None else None
        if name is not None and not 1 <= len(name) <= MAX_NETWORK_NAME:
            raise errors.Invalid(f"Validation failed: name must be 1 to {MAX_NETWORK_NAME} "
                                 "characters")
        apps = req.password_grant_apps
        if apps is not None:
            if len(apps) > MAX_PASSWORD_GRANT_APPS or not all(
                    isinstance(a, str) and CLIENT_ID.fullmatch(a) for a in apps):
                raise errors.Invalid("Validation failed: password_grant_apps must be at most "
                                     f"{MAX_PASSWORD_GRANT_APPS} client_ids")
            apps = list(dict.fromkeys(apps))
        async with self.pool.acquire() as conn, conn.transaction():
            member = await admin_of(conn, req.account_id)
            await store.update_network(conn, member["network_id"], name=name,
                                       invitation_only=req.invitation_only,
                                       password_grant_apps=apps)
            return await network_view(conn, req.account_id)


class InviteToNetwork:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: CreateInvitation) -> Invitation:
        email = req.email.strip()
        if not EMAIL.match(email) or len(email) > 320:
            raise errors.Invalid("Validation failed: email is not an e-mail address")
        code = secrets.token_urlsafe(24)
        async with self.pool.acquire() as conn, conn.transaction():
            member = await admin_of(conn, req.account_id)
            # Made even for an address that has an account, which then cannot register with it
            # (its e-mail is taken): the answer must not tell an admin whether anyone, in this
            # network or another, signed up with an address.
            invitation_id = new_id()
            created = await store.insert_invitation(
                conn, invitation_id=invitation_id, network_id=member["network_id"], email=email,
                token_hash=invitation_digest(code), invited_by=req.account_id)
        return Invitation(id=invitation_id, email=email, invite_code=code,
                          network_id=member["network_id"], created_at=created)


async def deactivate_in_network(conn: asyncpg.Connection, network_id: int, target_id: int
                                ) -> bool:
    """The one way an account of the network is deactivated (by an admin, by the network's
    SCIM directory): the row and its ``AccountDeactivated`` event in the caller's transaction,
    on which every gateway refuses its tokens and closes its streams. False if it already was.
    The caller then writes the account's record to the account cache."""
    # Lock the row: two deactivations at once emit one event.
    target = await store.lock_member(conn, target_id)
    if target is None or target["network_id"] != network_id:
        raise errors.NotFound("Record not found")
    if target["deactivated"]:
        return False
    await store.deactivate_account(conn, target_id)
    await outbox.add(conn, "graph", events.AccountDeactivated(account_id=target_id,
                                                              network_id=network_id))
    return True


class DeactivateMember:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: DeactivateAccount) -> AccountRecord:
        if req.account_id == req.target_id:
            raise errors.Invalid("Validation failed: you cannot deactivate your own account")
        async with self.pool.acquire() as conn, conn.transaction():
            admin = await admin_of(conn, req.account_id)
            await deactivate_in_network(conn, admin["network_id"], req.target_id)
            [account] = await store.accounts_by_ids(conn, [req.target_id])
        # Write the record, not just delete it: the gateway refuses the account's tokens on
        # its very next request, without waiting for a miss to refill the cache.
        await account_cache.put(self.cache, [account])
        return account
