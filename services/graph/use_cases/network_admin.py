"""What a network's owners and admins do: rename it, close it to invitations only, choose the
apps allowed the OAuth password grant, invite people by e-mail, deactivate members (which its
moderators do too). The role is checked here, against the database, never taken from the caller
(the rules: services/graph/roles.py); each change is written to the audit log in its own
transaction (services/graph/audit.py)."""

from __future__ import annotations

import re
import secrets

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, audit, roles, store
from services.graph.store import roles as role_store
from services.graph.use_cases.register_account import EMAIL, invitation_digest
from shared import errors, events, outbox
from shared.contracts.graph import (
    CreateInvitation,
    DeactivateAccount,
    Invitation,
    Network,
    UpdateNetwork,
)
from shared.contracts.network_admin import OWNER, ActorKind, AuditContext
from shared.ids import new_id
from shared.records import AccountRecord

MAX_NETWORK_NAME = 100
MAX_PASSWORD_GRANT_APPS = 50
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


ADMINS_ONLY = "Only the network's admins may do this"


async def acting_member(conn: asyncpg.Connection, account_id: int, *, lock: bool = False
                        ) -> asyncpg.Record:
    """The asking account's network and role (404 unless a member). With ``lock``, its network
    is locked first and the role read after: role changes and deactivations in one network
    happen one at a time, so none acts with a role it just lost."""
    member = await store.member_of(conn, account_id)
    if member is not None and lock:
        await role_store.lock_network(conn, member["network_id"])
        member = await store.member_of(conn, account_id)
    if member is None or member["deactivated"]:
        raise errors.NotFound("Record not found")
    return member


async def admin_of(conn: asyncpg.Connection, account_id: int, *, lock: bool = False
                   ) -> asyncpg.Record:
    member = await acting_member(conn, account_id, lock=lock)
    if not roles.administers(member["role"]):
        raise errors.Forbidden(ADMINS_ONLY)
    return member


async def refuse_losing_last_owner(conn: asyncpg.Connection, target: asyncpg.Record,
                                   what: str) -> None:
    """422 when ``target`` (locked, its network locked) is its network's last active owner."""
    if (target["role"] == OWNER and target["active"]
            and await role_store.active_owners(conn, target["network_id"]) <= 1):
        raise errors.Invalid(f"Validation failed: the network's last owner cannot be {what}")


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
            member = await admin_of(conn, req.account_id, lock=True)
            network_id = member["network_id"]
            before = await store.network(conn, network_id)
            await store.update_network(conn, network_id, name=name,
                                       invitation_only=req.invitation_only,
                                       password_grant_apps=apps)
            after = await store.network(conn, network_id)
            assert before is not None and after is not None  # locked, and the member's
            settings = {field: {"old": before[field], "new": after[field]}
                        for field in ("name", "invitation_only")
                        if before[field] != after[field]}
            if settings:
                await audit.record(conn, network_id=network_id, action="network.updated",
                                   actor_id=req.account_id, details=settings,
                                   context=req.audit)
            if list(before["password_grant_apps"]) != list(after["password_grant_apps"]):
                await audit.record(
                    conn, network_id=network_id, action="network.password_grant_apps_changed",
                    actor_id=req.account_id, context=req.audit,
                    details={"old": list(before["password_grant_apps"]),
                             "new": list(after["password_grant_apps"])})
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
            # The address, never the code: the log must not let its readers join.
            await audit.record(conn, network_id=member["network_id"],
                               action="invitation.created", actor_id=req.account_id,
                               context=req.audit,
                               details={"invitation_id": str(invitation_id), "email": email})
        return Invitation(id=invitation_id, email=email, invite_code=code,
                          network_id=member["network_id"], created_at=created)


async def deactivate_in_network(conn: asyncpg.Connection, network_id: int, target_id: int, *,
                                actor_id: int | None = None, actor_kind: ActorKind = "account",
                                context: AuditContext | None = None,
                                details: dict[str, str] | None = None) -> bool:
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
    await audit.record(conn, network_id=network_id, action="account.deactivated",
                       actor_id=actor_id, actor_kind=actor_kind, target_id=target_id,
                       context=context, details=details)
    return True


class DeactivateMember:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: DeactivateAccount) -> AccountRecord:
        if req.account_id == req.target_id:
            raise errors.Invalid("Validation failed: you cannot deactivate your own account")
        async with self.pool.acquire() as conn, conn.transaction():
            actor = await acting_member(conn, req.account_id, lock=True)
            if actor["role"] not in roles.DEACTIVATORS:
                raise errors.Forbidden("Only the network's admins and moderators may do this")
            target = await store.lock_member(conn, req.target_id)
            if target is None or target["network_id"] != actor["network_id"]:
                raise errors.NotFound("Record not found")
            if not roles.may_deactivate(actor["role"], target["role"]):
                raise errors.Forbidden(f"A {actor['role']} may not deactivate a "
                                       f"{target['role']}")
            if not target["deactivated"]:
                await refuse_losing_last_owner(conn, target, "deactivated")
                await deactivate_in_network(conn, actor["network_id"], req.target_id,
                                            actor_id=req.account_id, context=req.audit,
                                            details={"role": target["role"]})
            [account] = await store.accounts_by_ids(conn, [req.target_id])
        # Write the record, not just delete it: the gateway refuses the account's tokens on
        # its very next request, without waiting for a miss to refill the cache. Its
        # generation first (invalidate): a fill that read the account before the commit must
        # not store it over this record, which would let its tokens back in for a day.
        await account_cache.invalidate(self.cache, req.target_id)
        await account_cache.put(self.cache, [account])
        return account
