"""SQL for SCIM provisioning: tokens, the directory's view of accounts (scim_users) and of
communities (scim_groups). Every read and write names the network: a token of one network
never reaches another's rows."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from shared.contracts.scim import (
    GroupFields,
    ScimEmail,
    ScimGroup,
    ScimMember,
    ScimToken,
    ScimUser,
    UserFields,
)


def _ms(column: str) -> str:
    return f"(extract(epoch FROM {column}) * 1000)::bigint"


# --- tokens -------------------------------------------------------------------------------------

TOKEN_COLUMNS = f"id, label, {_ms('created_at')} AS created_at, " \
                f"{_ms('last_used_at')} AS last_used_at"


async def insert_token(conn: asyncpg.Connection, *, token_id: int, network_id: int, label: str,
                       token_hash: str, created_by: int) -> ScimToken:
    row = await conn.fetchrow(
        "INSERT INTO scim_tokens (id, network_id, label, token_hash, created_by) "
        f"VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}",
        token_id, network_id, label, token_hash, created_by)
    return ScimToken(**dict(row))


async def tokens_of(conn: asyncpg.Connection, network_id: int) -> list[ScimToken]:
    rows = await conn.fetch(
        f"SELECT {TOKEN_COLUMNS} FROM scim_tokens WHERE network_id = $1 AND revoked_at IS NULL "
        "ORDER BY id", network_id)
    return [ScimToken(**dict(row)) for row in rows]


async def revoke_token(conn: asyncpg.Connection, network_id: int, token_id: int) -> bool:
    return bool(await conn.fetchval(
        "UPDATE scim_tokens SET revoked_at = now() WHERE id = $1 AND network_id = $2 "
        "AND revoked_at IS NULL RETURNING true", token_id, network_id))


async def use_token(conn: asyncpg.Connection, token_hash: str) -> asyncpg.Record | None:
    """The live token of that digest (its id and network), its last use noted (at most once a
    minute: a busy directory does not write a row per request)."""
    row = await conn.fetchrow(
        "SELECT id, network_id, last_used_at > now() - interval '1 minute' AS fresh "
        "FROM scim_tokens WHERE token_hash = $1 AND revoked_at IS NULL", token_hash)
    if row is not None and not row["fresh"]:
        await conn.execute("UPDATE scim_tokens SET last_used_at = now() WHERE id = $1",
                           row["id"])
    return row


# --- users --------------------------------------------------------------------------------------

USER_COLUMNS = f"""
    s.account_id, s.user_name, s.external_id, s.given_name, s.family_name, s.formatted,
    s.display_name, s.emails::text AS emails, s.active, s.version,
    a.deactivated_at IS NOT NULL AS deactivated,
    {_ms('s.created_at')} AS created_at, {_ms('s.updated_at')} AS updated_at
"""
USERS_FROM = "FROM scim_users s JOIN accounts a ON a.id = s.account_id"


def user_from_row(row: asyncpg.Record) -> ScimUser:
    emails = [ScimEmail(**e) for e in json.loads(row["emails"])]
    return ScimUser(
        id=row["account_id"], deactivated=row["deactivated"], created_at=row["created_at"],
        updated_at=row["updated_at"], version=row["version"],
        fields=UserFields(user_name=row["user_name"], external_id=row["external_id"],
                          given_name=row["given_name"], family_name=row["family_name"],
                          formatted=row["formatted"], display_name=row["display_name"],
                          emails=emails, active=row["active"]))


def _emails_json(fields: UserFields) -> str:
    return json.dumps([{k: v for k, v in (("value", e.value), ("type", e.type),
                                          ("primary", e.primary)) if v is not None}
                       for e in fields.emails])


async def insert_user(conn: asyncpg.Connection, account_id: int, network_id: int,
                      fields: UserFields) -> None:
    await conn.execute(
        "INSERT INTO scim_users (account_id, network_id, user_name, external_id, given_name, "
        "family_name, formatted, display_name, emails, active) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)",
        account_id, network_id, fields.user_name, fields.external_id, fields.given_name,
        fields.family_name, fields.formatted, fields.display_name, _emails_json(fields),
        fields.active)


async def update_user(conn: asyncpg.Connection, account_id: int, fields: UserFields) -> None:
    await conn.execute(
        "UPDATE scim_users SET user_name = $2, external_id = $3, given_name = $4, "
        "family_name = $5, formatted = $6, display_name = $7, emails = $8::jsonb, active = $9, "
        "version = version + 1, updated_at = now() WHERE account_id = $1",
        account_id, fields.user_name, fields.external_id, fields.given_name,
        fields.family_name, fields.formatted, fields.display_name, _emails_json(fields),
        fields.active)


async def user(conn: asyncpg.Connection, network_id: int, account_id: int, *,
               lock: bool = False) -> ScimUser | None:
    row = await conn.fetchrow(
        f"SELECT {USER_COLUMNS} {USERS_FROM} WHERE s.account_id = $1 AND s.network_id = $2 "
        "AND s.deleted_at IS NULL" + (" FOR UPDATE OF s" if lock else ""),
        account_id, network_id)
    return user_from_row(row) if row else None


async def mark_user_deleted(conn: asyncpg.Connection, account_id: int) -> None:
    await conn.execute("UPDATE scim_users SET deleted_at = now(), version = version + 1, "
                       "updated_at = now() WHERE account_id = $1", account_id)


# Filters the gateway may pass on (attribute -> SQL on scim_users ``s``, value as $2).
USER_FILTERS = {
    "userName": "lower(s.user_name) = lower($2)",
    "externalId": "s.external_id = $2",
    "emails": "EXISTS (SELECT 1 FROM jsonb_array_elements(s.emails) e "
              "WHERE lower(e->>'value') = lower($2))",
}


async def users_page(conn: asyncpg.Connection, network_id: int, attribute: str | None,
                     value: str, offset: int, limit: int) -> tuple[int, list[ScimUser]]:
    where = "s.network_id = $1 AND s.deleted_at IS NULL"
    args: list[Any] = [network_id]
    if attribute is not None:
        where += " AND " + USER_FILTERS[attribute]
        args.append(value)
    total = await conn.fetchval(f"SELECT count(*) FROM scim_users s WHERE {where}", *args)
    rows = await conn.fetch(
        f"SELECT {USER_COLUMNS} {USERS_FROM} WHERE {where} ORDER BY s.account_id "
        f"OFFSET {int(offset)} LIMIT {int(limit)}", *args)
    return total, [user_from_row(row) for row in rows]


async def set_account_profile(conn: asyncpg.Connection, account_id: int, *, email: str,
                              display_name: str) -> None:
    """The account's address and name, as the directory now says them. Raises asyncpg's
    ``UniqueViolationError`` for an address another account holds."""
    await conn.execute("UPDATE accounts SET email = $2, display_name = $3 WHERE id = $1",
                       account_id, email, display_name)


async def reactivate_account(conn: asyncpg.Connection, account_id: int) -> None:
    await conn.execute("UPDATE accounts SET deactivated_at = NULL WHERE id = $1", account_id)


# --- groups -------------------------------------------------------------------------------------

async def insert_group(conn: asyncpg.Connection, community_id: int, network_id: int,
                       external_id: str | None) -> None:
    await conn.execute(
        "INSERT INTO scim_groups (community_id, network_id, external_id) VALUES ($1, $2, $3)",
        community_id, network_id, external_id)


async def update_group(conn: asyncpg.Connection, community_id: int, fields: GroupFields
                       ) -> None:
    await conn.execute(
        "UPDATE scim_groups SET external_id = $2, version = version + 1, updated_at = now() "
        "WHERE community_id = $1", community_id, fields.external_id)
    await conn.execute("UPDATE communities SET name = $2 WHERE id = $1", community_id,
                       fields.display_name)


async def mark_group_deleted(conn: asyncpg.Connection, community_id: int) -> None:
    await conn.execute("UPDATE scim_groups SET deleted_at = now(), version = version + 1 "
                       "WHERE community_id = $1", community_id)


GROUP_COLUMNS = f"""
    g.community_id, c.name, g.external_id, g.version,
    {_ms('g.created_at')} AS created_at, {_ms('g.updated_at')} AS updated_at
"""
GROUPS_FROM = "FROM scim_groups g JOIN communities c ON c.id = g.community_id"
GROUP_FILTERS = {
    "displayName": "lower(c.name) = lower($2)",
    "externalId": "g.external_id = $2",
}


async def _groups(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[ScimGroup]:
    members = await conn.fetch(
        "SELECT m.community_id, a.id, coalesce(nullif(a.display_name, ''), a.username) AS display "
        "FROM community_members m JOIN accounts a ON a.id = m.account_id "
        "WHERE m.community_id = ANY($1::bigint[]) ORDER BY m.community_id, a.id",
        [row["community_id"] for row in rows])
    by_group: dict[int, list[ScimMember]] = {}
    for m in members:
        by_group.setdefault(m["community_id"], []).append(
            ScimMember(id=m["id"], display=m["display"]))
    return [ScimGroup(id=row["community_id"], display_name=row["name"],
                      external_id=row["external_id"],
                      members=by_group.get(row["community_id"], []),
                      created_at=row["created_at"], updated_at=row["updated_at"],
                      version=row["version"]) for row in rows]


async def group(conn: asyncpg.Connection, network_id: int, community_id: int, *,
                lock: bool = False) -> ScimGroup | None:
    row = await conn.fetchrow(
        f"SELECT {GROUP_COLUMNS} {GROUPS_FROM} WHERE g.community_id = $1 AND g.network_id = $2 "
        "AND g.deleted_at IS NULL" + (" FOR UPDATE OF g" if lock else ""),
        community_id, network_id)
    return (await _groups(conn, [row]))[0] if row else None


async def groups_page(conn: asyncpg.Connection, network_id: int, attribute: str | None,
                      value: str, offset: int, limit: int) -> tuple[int, list[ScimGroup]]:
    where = "g.network_id = $1 AND g.deleted_at IS NULL"
    args: list[Any] = [network_id]
    if attribute is not None:
        where += " AND " + GROUP_FILTERS[attribute]
        args.append(value)
    total = await conn.fetchval(f"SELECT count(*) {GROUPS_FROM} WHERE {where}", *args)
    rows = await conn.fetch(
        f"SELECT {GROUP_COLUMNS} {GROUPS_FROM} WHERE {where} ORDER BY g.community_id "
        f"OFFSET {int(offset)} LIMIT {int(limit)}", *args)
    return total, await _groups(conn, list(rows))


async def network_account_ids(conn: asyncpg.Connection, network_id: int, ids: list[int]
                              ) -> set[int]:
    """Those of ``ids`` that are accounts of the network (SCIM-provisioned or not)."""
    rows = await conn.fetch("SELECT id FROM accounts WHERE id = ANY($1::bigint[]) "
                            "AND network_id = $2", ids, network_id)
    return {row["id"] for row in rows}


async def member_ids(conn: asyncpg.Connection, community_id: int) -> set[int]:
    rows = await conn.fetch("SELECT account_id FROM community_members WHERE community_id = $1",
                            community_id)
    return {row["account_id"] for row in rows}


async def domain_claimed_by(conn: asyncpg.Connection, domain: str) -> int | None:
    """The network that claimed the e-mail domain, if one did (a network's own domain, the
    one it was made for, counts as claimed)."""
    network_id: int | None = await conn.fetchval(
        "SELECT network_id FROM network_domains WHERE domain = $1 "
        "UNION ALL SELECT id FROM networks WHERE lower(domain) = $1 LIMIT 1", domain.lower())
    return network_id


async def taken_usernames(conn: asyncpg.Connection, prefix: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT lower(username) AS u FROM accounts WHERE lower(username) LIKE $1",
        prefix.lower().replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%")
    return {row["u"] for row in rows}


async def address_taken(conn: asyncpg.Connection, email: str, except_id: int = 0) -> bool:
    """Whether another account (confirmed, or provisioned) holds the address."""
    return bool(await conn.fetchval(
        "SELECT true FROM accounts WHERE lower(email) = lower($1) AND id <> $2 "
        "AND confirmed_at IS NOT NULL LIMIT 1", email, except_id))


async def token_creator(conn: asyncpg.Connection, token_id: int) -> int:
    creator: int = await conn.fetchval("SELECT created_by FROM scim_tokens WHERE id = $1",
                                       token_id)
    return creator


async def account_for_address(conn: asyncpg.Connection, email: str) -> asyncpg.Record | None:
    """The account holding the (confirmed) address: its network, whether the directory
    provisioned it and whether the directory deleted it since; the row locked."""
    return await conn.fetchrow(
        "SELECT a.id, a.network_id, a.deactivated_at IS NOT NULL AS deactivated, "
        "s.account_id IS NOT NULL AS provisioned, s.deleted_at IS NOT NULL AS deleted "
        "FROM accounts a LEFT JOIN scim_users s ON s.account_id = a.id "
        "WHERE lower(a.email) = lower($1) AND a.confirmed_at IS NOT NULL FOR UPDATE OF a",
        email)


async def forget_user(conn: asyncpg.Connection, account_id: int) -> None:
    await conn.execute("DELETE FROM scim_users WHERE account_id = $1", account_id)
