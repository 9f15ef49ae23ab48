"""The graph's NATS API for lists: each belongs to one account, which may put there only
accounts it follows (as Mastodon requires). Membership changes are events: fanout keeps each
list's timeline."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from shared import errors, events, outbox
from shared.bus import ServiceHost
from shared.contracts import graph as graph_api
from shared.contracts import lists as api
from shared.ids import new_id

REPLIES_POLICIES = ("followed", "list", "none")
MAX_LISTS = 50
MAX_TITLE = 100

COLUMNS = "id, account_id, title, replies_policy, exclusive"


async def _owned(conn: asyncpg.Connection, owner: int, list_id: int) -> api.ListRecord:
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM lists WHERE id = $1 AND account_id = $2",
                              list_id, owner)
    if row is None:
        raise errors.NotFound("Record not found")
    return api.ListRecord(**dict(row))


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def save(req: api.SaveList) -> api.ListRecord:
        title = req.title.strip()
        if not 1 <= len(title) <= MAX_TITLE:
            raise errors.Invalid(f"Validation failed: title must be 1 to {MAX_TITLE} characters")
        if req.replies_policy not in REPLIES_POLICIES:
            raise errors.Invalid("Validation failed: replies_policy must be one of "
                                 + ", ".join(REPLIES_POLICIES))
        async with pool.acquire() as conn, conn.transaction():
            if req.id is None:
                await conn.execute("SELECT pg_advisory_xact_lock($1)", req.account_id)
                if await conn.fetchval("SELECT count(*) FROM lists WHERE account_id = $1",
                                       req.account_id) >= MAX_LISTS:
                    raise errors.Invalid(f"Validation failed: at most {MAX_LISTS} lists")
                row = await conn.fetchrow(
                    f"INSERT INTO lists (id, account_id, title, replies_policy, exclusive) "
                    f"VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}",
                    new_id(), req.account_id, title, req.replies_policy, req.exclusive)
            else:
                await _owned(conn, req.account_id, req.id)
                row = await conn.fetchrow(
                    f"UPDATE lists SET title = $3, replies_policy = $4, exclusive = $5 "
                    f"WHERE id = $1 AND account_id = $2 RETURNING {COLUMNS}",
                    req.id, req.account_id, title, req.replies_policy, req.exclusive)
        return api.ListRecord(**dict(row))

    async def get(req: api.ListRef) -> api.ListRecord:
        async with pool.acquire() as conn:
            return await _owned(conn, req.account_id, req.id)

    async def delete(req: api.ListRef) -> api.ListRecord:
        async with pool.acquire() as conn, conn.transaction():
            found = await _owned(conn, req.account_id, req.id)
            await conn.execute("DELETE FROM lists WHERE id = $1", req.id)
            await outbox.add(conn, "graph", events.ListDeleted(list_id=req.id,
                                                               owner_id=req.account_id))
        return found

    async def owned(req: api.OwnerLists) -> api.Lists:
        async with pool.acquire() as conn:
            if req.member_id is None:
                rows = await conn.fetch(
                    f"SELECT {COLUMNS} FROM lists WHERE account_id = $1 ORDER BY id",
                    req.account_id)
            else:
                rows = await conn.fetch(
                    f"SELECT {COLUMNS} FROM lists l WHERE account_id = $1 AND EXISTS "
                    "(SELECT 1 FROM list_accounts m WHERE m.list_id = l.id "
                    "AND m.account_id = $2) ORDER BY id", req.account_id, req.member_id)
        return api.Lists(lists=[api.ListRecord(**dict(row)) for row in rows])

    async def members(req: api.ListRef) -> api.ListMembers:
        async with pool.acquire() as conn:
            await _owned(conn, req.account_id, req.id)
            rows = await conn.fetch("SELECT account_id FROM list_accounts WHERE list_id = $1 "
                                    "ORDER BY account_id", req.id)
        return api.ListMembers(account_id=req.account_id, id=req.id,
                               account_ids=[row["account_id"] for row in rows])

    async def add_members(req: api.ListMembers) -> api.ListMembers:
        ids = list(dict.fromkeys(req.account_ids))[:250]
        async with pool.acquire() as conn, conn.transaction():
            await _owned(conn, req.account_id, req.id)
            followed = {row["followee_id"] for row in await conn.fetch(
                "SELECT followee_id FROM follows WHERE follower_id = $1 "
                "AND followee_id = ANY($2::bigint[])", req.account_id, ids)}
            missing = [i for i in ids if i not in followed]
            if missing:
                raise errors.Invalid("Validation failed: you can only list accounts you follow")
            added = [row["account_id"] for row in await conn.fetch(
                "INSERT INTO list_accounts (list_id, account_id) "
                "SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING RETURNING account_id",
                req.id, ids)]
            if added:
                await outbox.add(conn, "graph", events.ListMembersChanged(
                    list_id=req.id, owner_id=req.account_id, added=tuple(added)))
        return await members(api.ListRef(account_id=req.account_id, id=req.id))

    async def remove_members(req: api.ListMembers) -> api.ListMembers:
        async with pool.acquire() as conn, conn.transaction():
            await _owned(conn, req.account_id, req.id)
            removed = [row["account_id"] for row in await conn.fetch(
                "DELETE FROM list_accounts WHERE list_id = $1 AND account_id = ANY($2::bigint[]) "
                "RETURNING account_id", req.id, req.account_ids[:250])]
            if removed:
                await outbox.add(conn, "graph", events.ListMembersChanged(
                    list_id=req.id, owner_id=req.account_id, removed=tuple(removed)))
        return await members(api.ListRef(account_id=req.account_id, id=req.id))

    async def containing(req: api.ListsContaining) -> api.ListTargets:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT l.id, l.account_id FROM list_accounts m JOIN lists l ON l.id = m.list_id "
                "WHERE m.account_id = $1", req.author_id)
        return api.ListTargets(targets=[api.ListTarget(list_id=row["id"],
                                                       owner_id=row["account_id"])
                                        for row in rows])

    host.serve(graph_api.LIST_SAVE, save)
    host.serve(graph_api.LIST_GET, get)
    host.serve(graph_api.LIST_DELETE, delete)
    host.serve(graph_api.LISTS_OWNED, owned)
    host.serve(graph_api.LIST_MEMBERS, members)
    host.serve(graph_api.LIST_ADD_MEMBERS, add_members)
    host.serve(graph_api.LIST_REMOVE_MEMBERS, remove_members)
    host.serve(graph_api.LISTS_CONTAINING, containing)
