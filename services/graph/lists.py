"""The graph's NATS API for lists: each belongs to one account, which may put there only
accounts it follows (as Mastodon requires). Membership changes are events: fanout keeps each
list's timeline."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.store import lists as list_store
from shared import errors, events, member_index, outbox
from shared.contracts import graph as graph_api
from shared.contracts import lists as api
from shared.ids import new_id
from shared.service_host import ServiceHost

REPLIES_POLICIES = ("followed", "list", "none")
MAX_LISTS = 50
MAX_TITLE = 100



async def keep_listed_index(pool: asyncpg.Pool, cache: redis.Redis) -> int | None:
    """Fill the index of listed accounts when it is not complete; how many it added (None:
    it was)."""
    return await member_index.keep(cache, member_index.LISTED, pool,
                                   list_store.listed_account_ids)


async def _owned(conn: asyncpg.Connection, owner: int, list_id: int) -> api.ListRecord:
    found = await list_store.owned_list(conn, owner, list_id)
    if found is None:
        raise errors.NotFound("Record not found")
    return found


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
                await list_store.lock_lists_of(conn, req.account_id)
                if await list_store.lists_count(conn, req.account_id) >= MAX_LISTS:
                    raise errors.Invalid(f"Validation failed: at most {MAX_LISTS} lists")
                saved = await list_store.insert_list(conn, new_id(), req.account_id, title,
                                                req.replies_policy, req.exclusive)
            else:
                await _owned(conn, req.account_id, req.id)
                updated = await list_store.update_list(conn, req.id, req.account_id, title,
                                                  req.replies_policy, req.exclusive)
                assert updated is not None  # owned, and locked by the update itself
                saved = updated
        return saved

    async def get(req: api.ListRef) -> api.ListRecord:
        async with pool.acquire() as conn:
            return await _owned(conn, req.account_id, req.id)

    async def delete(req: api.ListRef) -> api.ListRecord:
        async with pool.acquire() as conn, conn.transaction():
            found = await _owned(conn, req.account_id, req.id)
            await list_store.delete_list(conn, req.id)
            await outbox.add(conn, "graph", events.ListDeleted(list_id=req.id,
                                                               owner_id=req.account_id))
        return found

    async def owned(req: api.OwnerLists) -> api.Lists:
        async with pool.acquire() as conn:
            found = await list_store.lists_of(conn, req.account_id, req.member_id)
        return api.Lists(lists=found)

    async def members(req: api.ListRef) -> api.ListMembers:
        async with pool.acquire() as conn:
            await _owned(conn, req.account_id, req.id)
            ids = await list_store.list_member_ids(conn, req.id)
        return api.ListMembers(account_id=req.account_id, id=req.id, account_ids=ids)

    async def add_members(req: api.ListMembers) -> api.ListMembers:
        ids = list(dict.fromkeys(req.account_ids))[:250]
        # In fanout's index before the commit and after it (shared/member_index.py says why).
        async with (member_index.noting(cache, member_index.LISTED, ids),
                    pool.acquire() as conn, conn.transaction()):
            await _owned(conn, req.account_id, req.id)
            followed = await list_store.followed_among(conn, req.account_id, ids)
            missing = [i for i in ids if i not in followed]
            if missing:
                raise errors.Invalid("Validation failed: you can only list accounts you follow")
            added = await list_store.add_list_members(conn, req.id, ids)
            if added:
                await outbox.add(conn, "graph", events.ListMembersChanged(
                    list_id=req.id, owner_id=req.account_id, added=tuple(added)))
        return await members(api.ListRef(account_id=req.account_id, id=req.id))

    async def remove_members(req: api.ListMembers) -> api.ListMembers:
        async with pool.acquire() as conn, conn.transaction():
            await _owned(conn, req.account_id, req.id)
            removed = await list_store.remove_list_members(conn, req.id, req.account_ids[:250])
            if removed:
                await outbox.add(conn, "graph", events.ListMembersChanged(
                    list_id=req.id, owner_id=req.account_id, removed=tuple(removed)))
        return await members(api.ListRef(account_id=req.account_id, id=req.id))

    async def containing(req: api.ListsContaining) -> api.ListTargets:
        async with pool.acquire() as conn:
            targets = await list_store.lists_containing(conn, req.author_id)
        return api.ListTargets(targets=targets)

    host.serve(graph_api.LIST_SAVE, save)
    host.serve(graph_api.LIST_GET, get)
    host.serve(graph_api.LIST_DELETE, delete)
    host.serve(graph_api.LISTS_OWNED, owned)
    host.serve(graph_api.LIST_MEMBERS, members)
    host.serve(graph_api.LIST_ADD_MEMBERS, add_members)
    host.serve(graph_api.LIST_REMOVE_MEMBERS, remove_members)
    host.serve(graph_api.LISTS_CONTAINING, containing)
