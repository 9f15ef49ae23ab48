"""The directory's groups: each one a community of the network, its members the community's
members (joining and leaving as any member does, with CommunityJoined/CommunityLeft). Only
communities made through SCIM are SCIM groups: the directory cannot take over, rename or empty
a community people made themselves."""

from __future__ import annotations

import asyncpg

from services.graph.store import communities as community_store
from services.graph.store import scim as scim_store
from services.graph.use_cases.community_create import MAX_NAME
from shared import errors
from shared.contracts import communities as communities_api
from shared.contracts import scim as api
from shared.ids import new_id

MAX_MEMBERS = 10_000  # per request: a bigger group is sent as PATCHes of members
NAME_TAKEN = "displayName is already taken"


def _checked(fields: api.GroupFields) -> api.GroupFields:
    name = fields.display_name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise errors.Invalid(f"displayName must be 1 to {MAX_NAME} characters")
    if len(fields.member_ids) > MAX_MEMBERS:
        raise errors.Invalid(f"at most {MAX_MEMBERS} members at once")
    return api.GroupFields(display_name=name, external_id=fields.external_id,
                           member_ids=list(dict.fromkeys(fields.member_ids)))


async def _set_members(conn: asyncpg.Connection, network_id: int, community_id: int,
                       wanted: list[int]) -> None:
    """Make the community's members exactly ``wanted`` (accounts of the network, else 400 and
    nothing changed: the caller's transaction ends)."""
    known = await scim_store.network_account_ids(conn, network_id, wanted)
    strangers = [i for i in wanted if i not in known]
    if strangers:
        raise errors.Invalid(f"members: no user {strangers[0]}")
    current = await scim_store.member_ids(conn, community_id)
    for account_id in sorted(set(wanted) - current):
        await community_store.add_member(conn, community_id, account_id,
                                         communities_api.MEMBER)
    for account_id in sorted(current - set(wanted)):
        await community_store.remove_member(conn, community_id, account_id)


class CreateGroup:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CreateScimGroup) -> api.ScimGroup:
        fields = _checked(req.fields)
        community_id = new_id()
        async with self.pool.acquire() as conn, conn.transaction():
            creator = await scim_store.token_creator(conn, req.token_id)
            try:
                async with conn.transaction():
                    await community_store.insert_community(
                        conn, community_id, req.network_id, fields.display_name, "",
                        "approval", False, creator)
            except asyncpg.UniqueViolationError as exc:
                raise errors.Conflict(NAME_TAKEN) from exc
            await scim_store.insert_group(conn, community_id, req.network_id,
                                          fields.external_id)
            await _set_members(conn, req.network_id, community_id, fields.member_ids)
            made = await scim_store.group(conn, req.network_id, community_id)
        assert made is not None
        return made


class ReplaceGroup:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.ReplaceScimGroup) -> api.ScimGroup:
        fields = _checked(req.fields)
        async with self.pool.acquire() as conn, conn.transaction():
            current = await scim_store.group(conn, req.network_id, req.id, lock=True)
            if current is None:
                raise errors.NotFound("Record not found")
            if req.version is not None and req.version != current.version:
                raise errors.Stale("The resource changed since that version")
            try:
                async with conn.transaction():
                    await scim_store.update_group(conn, req.id, fields)
            except asyncpg.UniqueViolationError as exc:
                raise errors.Conflict(NAME_TAKEN) from exc
            await _set_members(conn, req.network_id, req.id, fields.member_ids)
            changed = await scim_store.group(conn, req.network_id, req.id)
        assert changed is not None
        return changed


class DeleteGroup:
    """SCIM DELETE: the community loses its members and is no longer the directory's (404 to
    SCIM). Its posts stay, as they do when people leave a community."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.ScimRef) -> api.Done:
        async with self.pool.acquire() as conn, conn.transaction():
            current = await scim_store.group(conn, req.network_id, req.id, lock=True)
            if current is None:
                raise errors.NotFound("Record not found")
            await _set_members(conn, req.network_id, req.id, [])
            await scim_store.mark_group_deleted(conn, req.id)
        return api.Done()


async def get_group(pool: asyncpg.Pool, req: api.ScimRef) -> api.ScimGroup:
    async with pool.acquire() as conn:
        found = await scim_store.group(conn, req.network_id, req.id)
    if found is None:
        raise errors.NotFound("Record not found")
    return found


async def list_groups(pool: asyncpg.Pool, req: api.ScimQuery) -> api.ScimGroups:
    if req.attribute is not None and req.attribute not in scim_store.GROUP_FILTERS:
        raise errors.Invalid(f"filtering on {req.attribute} is not supported")
    async with pool.acquire() as conn:
        total, groups = await scim_store.groups_page(
            conn, req.network_id, req.attribute, req.value, max(0, req.start_index - 1),
            max(0, min(req.count, 1000)))
    return api.ScimGroups(total=total, groups=groups)
