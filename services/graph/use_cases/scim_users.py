"""The directory's users: SCIM creates accounts (confirmed and approved at once: the company's
directory vouches for them), changes their address and name, deactivates them (exactly as a
network admin does: services/graph/use_cases/network_admin.py) and reactivates them.

Reactivation clears the account's deactivation only: the tokens it held before stay dead
(every gateway revoked them on ``AccountDeactivated``), so its owner signs in again."""

from __future__ import annotations

import re

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, audit, store
from services.graph.store import scim as scim_store
from services.graph.use_cases.network_admin import deactivate_in_network
from services.graph.use_cases.register_account import EMAIL, MAX_DISPLAY_NAME, MAX_USERNAME
from shared import errors, events, outbox
from shared.contracts import scim as api
from shared.ids import new_id

NO_PASSWORD = "!"  # not an argon2 hash: no password opens it (sign-in through the provider)
TAKEN = "userName is already taken"


def display_name_of(fields: api.UserFields) -> str:
    """The name shown in Hubbub: the directory's displayName, else its formatted name, else
    given and family names, else nothing (the username shows)."""
    name = (fields.display_name or fields.formatted
            or " ".join(p for p in (fields.given_name, fields.family_name) if p) or "")
    return name.strip()[:MAX_DISPLAY_NAME]


def checked_domain(fields: api.UserFields) -> str:
    match = EMAIL.match(fields.user_name)
    if not match or len(fields.user_name) > 320:
        raise errors.Invalid("userName must be an e-mail address")
    return match.group(1).lower()


async def _claimed(conn: asyncpg.Connection, network_id: int, fields: api.UserFields) -> None:
    if await scim_store.domain_claimed_by(conn, checked_domain(fields)) != network_id:
        raise errors.Invalid("userName must be an address of a domain the network claimed")


async def free_username(conn: asyncpg.Connection, user_name: str) -> str:
    """A handle from the address's local part (letters, digits, underscores), made unique with
    a number."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", user_name.partition("@")[0])[:MAX_USERNAME - 4]
    base = base.strip("_") or "user"
    taken = await scim_store.taken_usernames(conn, base)
    if base.lower() not in taken:
        return base
    for n in range(2, 10_000):
        if f"{base}{n}".lower() not in taken:
            return f"{base}{n}"
    raise errors.Conflict(TAKEN)  # (ten thousand namesakes: not expected)


async def _apply_active(conn: asyncpg.Connection, network_id: int, account_id: int,
                        active: bool | None, was_deactivated: bool) -> None:
    if active is False and not was_deactivated:
        await deactivate_in_network(conn, network_id, account_id, actor_kind="scim")
    elif active is True and was_deactivated:
        await scim_store.reactivate_account(conn, account_id)
        await outbox.add(conn, "graph", events.AccountUpdated(account_id=account_id))
        await audit.record(conn, network_id=network_id, action="account.reactivated",
                           actor_kind="scim", target_id=account_id)


async def write_through(pool: asyncpg.Pool, cache: redis.Redis, account_id: int) -> None:
    """Write the account's record to the cache after the commit, as a deactivation by an admin
    does: gateways refuse a deactivated account's tokens on its very next request."""
    async with pool.acquire() as conn:
        accounts = await store.accounts_by_ids(conn, [account_id])
    # Its generation first: a fill that read the account before the commit must not store it
    # over this record (see DeactivateMember).
    await account_cache.invalidate(cache, account_id)
    await account_cache.put(cache, accounts)


class ProvisionUser:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: api.CreateScimUser) -> api.ScimUser:
        fields = req.fields
        account_id = new_id()
        async with self.pool.acquire() as conn, conn.transaction():
            await _claimed(conn, req.network_id, fields)
            existing = await scim_store.account_for_address(conn, fields.user_name)
            if existing is not None:
                account_id = await self._adopt(conn, req.network_id, fields, existing)
            else:
                await self._create(conn, req.network_id, fields, account_id)
            made = await scim_store.user(conn, req.network_id, account_id)
        await write_through(self.pool, self.cache, account_id)
        assert made is not None
        return made

    async def _adopt(self, conn: asyncpg.Connection, network_id: int, fields: api.UserFields,
                     existing: asyncpg.Record) -> int:
        """A member who signed up before the directory was connected (or one the directory
        deleted and now creates again) becomes the directory's: directories match existing
        accounts by userName. Only an account of this network, not already the directory's."""
        if existing["network_id"] != network_id or (existing["provisioned"]
                                                    and not existing["deleted"]):
            raise errors.Conflict(TAKEN)
        account_id: int = existing["id"]
        await scim_store.forget_user(conn, account_id)
        await scim_store.insert_user(conn, account_id, network_id, fields)
        await scim_store.set_account_profile(conn, account_id, email=fields.user_name,
                                             display_name=display_name_of(fields))
        await outbox.add(conn, "graph", events.AccountUpdated(account_id=account_id))
        # Created again after a DELETE: active unless the body says otherwise.
        active = True if fields.active is None and existing["deleted"] else fields.active
        await _apply_active(conn, network_id, account_id, active, existing["deactivated"])
        return account_id

    async def _create(self, conn: asyncpg.Connection, network_id: int, fields: api.UserFields,
                      account_id: int) -> None:
        username = await free_username(conn, fields.user_name)
        try:
            async with conn.transaction():  # a savepoint: the race's loser answers 409
                await store.insert_account(
                    conn, account_id=account_id, network_id=network_id,
                    username=username, email=fields.user_name, password_hash=NO_PASSWORD,
                    display_name=display_name_of(fields), role="member")
                await scim_store.insert_user(conn, account_id, network_id, fields)
        except asyncpg.UniqueViolationError as exc:
            raise errors.Conflict(TAKEN) from exc
        await outbox.add(conn, "graph", events.AccountCreated(
            account_id=account_id, network_id=network_id, username=username),
            events.AccountJoined(account_id=account_id, network_id=network_id))
        await _apply_active(conn, network_id, account_id, fields.active, False)


class ReplaceUser:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: api.ReplaceScimUser) -> api.ScimUser:
        fields = req.fields
        async with self.pool.acquire() as conn, conn.transaction():
            current = await scim_store.user(conn, req.network_id, req.id, lock=True)
            if current is None:
                raise errors.NotFound("Record not found")
            if req.version is not None and req.version != current.version:
                raise errors.Stale("The resource changed since that version")
            if fields.user_name.lower() != current.fields.user_name.lower():
                await _claimed(conn, req.network_id, fields)
                if await scim_store.address_taken(conn, fields.user_name, except_id=req.id):
                    raise errors.Conflict(TAKEN)
            try:
                async with conn.transaction():
                    await scim_store.set_account_profile(
                        conn, req.id, email=fields.user_name,
                        display_name=display_name_of(fields))
                    await scim_store.update_user(conn, req.id, fields)
            except asyncpg.UniqueViolationError as exc:
                raise errors.Conflict(TAKEN) from exc
            await outbox.add(conn, "graph", events.AccountUpdated(account_id=req.id))
            await _apply_active(conn, req.network_id, req.id, fields.active,
                                current.deactivated)
            changed = await scim_store.user(conn, req.network_id, req.id)
        await write_through(self.pool, self.cache, req.id)
        assert changed is not None
        return changed


class DeleteUser:
    """SCIM DELETE: the account is deactivated (its posts and follows stay, as with an
    admin's deactivation) and SCIM answers 404 for it from then on."""

    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: api.ScimRef) -> api.Done:
        async with self.pool.acquire() as conn, conn.transaction():
            current = await scim_store.user(conn, req.network_id, req.id, lock=True)
            if current is None:
                raise errors.NotFound("Record not found")
            await deactivate_in_network(conn, req.network_id, req.id, actor_kind="scim",
                                        details={"scim": "delete"})
            await scim_store.mark_user_deleted(conn, req.id)
        await write_through(self.pool, self.cache, req.id)
        return api.Done()


async def get_user(pool: asyncpg.Pool, req: api.ScimRef) -> api.ScimUser:
    async with pool.acquire() as conn:
        found = await scim_store.user(conn, req.network_id, req.id)
    if found is None:
        raise errors.NotFound("Record not found")
    return found


async def list_users(pool: asyncpg.Pool, req: api.ScimQuery) -> api.ScimUsers:
    if req.attribute is not None and req.attribute not in scim_store.USER_FILTERS:
        raise errors.Invalid(f"filtering on {req.attribute} is not supported")
    async with pool.acquire() as conn:
        total, users = await scim_store.users_page(
            conn, req.network_id, req.attribute, req.value, max(0, req.start_index - 1),
            max(0, min(req.count, 1000)))
    return api.ScimUsers(total=total, users=users)
