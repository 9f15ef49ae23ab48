"""Network roles that need an owner, the audit log's writes and its append-only table.

A network's first account is its admin today and its owner once operators make networks (#14's
core): ``owned`` makes it the owner either way, in the database, as the operator would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.graph import audit
from services.graph.store import accounts as account_store
from services.graph.use_cases.network_admin import refuse_losing_last_owner
from shared import errors, events
from shared.contracts.network_admin import AuditContext
from shared.settings import Settings
from tests.helpers import Api, User, other_domain

NETWORK = "/api/hubbub/v1/network"


async def owned(api: Api, *more: int) -> tuple[User, list[User]]:
    domain = other_domain()
    owner = await api.user(domain=domain)
    await api.stack.graph.pool.execute("UPDATE accounts SET role = 'owner' WHERE id = $1",
                                       int(owner.id))
    return owner, [await api.user(domain=domain) for _ in range(more[0] if more else 0)]


async def set_role(api: Api, actor: User, target: User, role: str) -> int:
    r = await api.client.patch(f"{NETWORK}/members/{target.id}", headers=actor.headers,
                               json={"role": role})
    return r.status_code


async def deactivate(api: Api, actor: User, target: User) -> int:
    r = await api.client.post(f"{NETWORK}/accounts/{target.id}/deactivate",
                              headers=actor.headers)
    return r.status_code


async def role_of(api: Api, user: User) -> str:
    return str(await api.stack.graph.pool.fetchval("SELECT role FROM accounts WHERE id = $1",
                                                   int(user.id)))


async def written(api: Api) -> tuple[int, int]:
    """Role-change events in the outbox, and audit entries."""
    pool = api.stack.graph.pool
    return (await pool.fetchval("SELECT count(*) FROM outbox "
                                "WHERE subject = 'hubbub.evt.graph.account.role_changed'"),
            await pool.fetchval("SELECT count(*) FROM audit_log"))


async def test_only_owners_make_and_unmake_owners_and_admins(api: Api) -> None:
    owner, [admin, other_admin, member] = await owned(api, 3)
    r = await api.client.patch(f"{NETWORK}/members/{admin.id}", headers=owner.headers,
                               json={"role": "admin"})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == {"id": "2", "name": "Admin", "permissions": r.json()["role"][
        "permissions"], "color": "", "highlighted": True}
    assert int(r.json()["role"]["permissions"]) & (1 << 17)  # manages roles
    assert await set_role(api, owner, other_admin, "admin") == 200
    before = await written(api)
    # An admin neither makes nor unmakes admins and owners.
    for target, role in ((member, "admin"), (member, "owner"), (other_admin, "member"),
                         (other_admin, "owner"), (owner, "admin"), (owner, "member")):
        assert await set_role(api, admin, target, role) == 403, (target, role)
    assert await written(api) == before
    assert (await role_of(api, member), await role_of(api, other_admin),
            await role_of(api, owner)) == ("member", "admin", "owner")
    # ...but gives the other roles to the rest.
    assert await set_role(api, admin, member, "moderator") == 200
    # An owner makes owners, who may then unmake admins, and owners.
    assert await set_role(api, owner, member, "owner") == 200
    me = (await api.client.get("/api/v1/accounts/verify_credentials",
                               headers=member.headers)).json()
    assert me["role"] == {"id": "3", "name": "Owner", "permissions": "1", "color": "",
                          "highlighted": True}
    assert await set_role(api, member, admin, "member") == 200
    assert await set_role(api, member, owner, "admin") == 200
    assert await role_of(api, owner) == "admin"


async def test_the_last_owner_stays(api: Api) -> None:
    owner, [admin, member] = await owned(api, 2)
    assert await set_role(api, owner, admin, "admin") == 200
    # Not by themselves...
    assert await set_role(api, owner, owner, "admin") == 422
    assert await deactivate(api, owner, owner) == 422
    # ...nor by an admin (who may not touch owners, nor other admins).
    assert await set_role(api, admin, owner, "member") == 403
    assert await deactivate(api, admin, owner) == 403
    assert await role_of(api, owner) == "owner"
    assert (await api.client.get(NETWORK, headers=owner.headers)).status_code == 200
    # What the operator's, SCIM's and SSO's paths call: the last active owner is refused.
    pool = api.stack.graph.pool
    async with pool.acquire() as conn, conn.transaction():
        target = await account_store.lock_member(conn, int(owner.id))
        with pytest.raises(errors.Invalid, match="last owner"):
            await refuse_losing_last_owner(conn, target, "demoted")
    assert await set_role(api, owner, member, "owner") == 200
    async with pool.acquire() as conn, conn.transaction():
        target = await account_store.lock_member(conn, int(owner.id))
        await refuse_losing_last_owner(conn, target, "demoted")  # another remains
    # With two, one owner deactivates the other; an owner deactivates admins.
    assert await deactivate(api, member, owner) == 200
    assert await deactivate(api, member, admin) == 200


async def test_owners_demoting_each_other_at_once_leave_one(api: Api) -> None:
    for _ in range(3):
        first, [second] = await owned(api, 1)
        assert await set_role(api, first, second, "owner") == 200
        answers = await asyncio.gather(set_role(api, first, second, "member"),
                                       set_role(api, second, first, "member"))
        assert sorted(answers) == [200, 403]
        roles = {await role_of(api, first), await role_of(api, second)}
        assert roles == {"owner", "member"}


async def test_a_role_change_writes_its_event_and_audit_entry_together(api: Api) -> None:
    owner, [member] = await owned(api, 1)
    before = await written(api)
    assert await set_role(api, owner, member, "guest") == 200
    assert await written(api) == (before[0] + 1, before[1] + 1)
    payload = await api.stack.graph.pool.fetchval(
        "SELECT payload FROM outbox WHERE subject = 'hubbub.evt.graph.account.role_changed' "
        "ORDER BY id DESC LIMIT 1")
    event = events.decode(payload)
    assert isinstance(event, events.AccountRoleChanged)
    assert (event.account_id, event.role) == (int(member.id), "guest")
    row = await api.stack.graph.pool.fetchrow(
        "SELECT actor_kind, actor_id, target_id, action, ip FROM audit_log ORDER BY id DESC "
        "LIMIT 1")
    assert tuple(row) == ("account", int(owner.id), int(member.id), "account.role_changed",
                          "127.0.0.1")
    # The same role again changes nothing, and writes nothing.
    assert await set_role(api, owner, member, "guest") == 200
    assert await written(api) == (before[0] + 1, before[1] + 1)


async def test_record_takes_actors_without_accounts_and_refuses_secrets(api: Api) -> None:
    owner, [member] = await owned(api, 1)
    network_id = int((await api.client.get(NETWORK, headers=owner.headers)).json()["id"])
    pool = api.stack.graph.pool
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="transaction"):
            await audit.record(conn, network_id=network_id, action="account.joined",
                               actor_kind="system")
        async with conn.transaction():
            for bad in ({"invite_code": "x"}, {"password": "x"}, {"client_secret": "x"},
                        {"sso": {"token": "x"}}):
                with pytest.raises(ValueError, match="secrets"):
                    await audit.record(conn, network_id=network_id, action="sso.configured",
                                       actor_kind="sso", details=bad)
            for action in ("Bad", "account", "account.role changed", ""):
                with pytest.raises(ValueError):
                    await audit.record(conn, network_id=network_id, action=action,
                                       actor_kind="system")
            with pytest.raises(ValueError):
                await audit.record(conn, network_id=network_id, action="a.b",
                                   actor_kind="operator", actor_id=int(owner.id))
            await audit.record(conn, network_id=network_id, action="scim.user_updated",
                               actor_kind="scim", target_id=int(member.id),
                               details={"changed": ["active"], "password_grant_apps": 0},
                               context=AuditContext(ip="x" * 500, app_name="y" * 500))
    log = (await api.client.get(f"{NETWORK}/audit", headers=owner.headers)).json()
    # Besides the operator's, from making the network (`hubbub network create`).
    [entry] = [e for e in log if e["actor"] != {"kind": "operator"}]
    assert entry["actor"] == {"kind": "scim"} and entry["target"]["id"] == member.id
    assert entry["action"] == "scim.user_updated" and entry["app"] == {"id": None,
                                                                        "name": "y" * 200}
    assert entry["ip"] == "x" * 64


# --- append-only, for the graph's own database role ---------------------------------------------

@pytest.fixture
async def graph_db(servers: Settings, api: Api) -> AsyncIterator[asyncpg.Connection]:
    """The graph service's runtime role (the stack migrated the schema)."""
    if not servers.service_database_urls:
        pytest.skip("HUBBUB_DATABASE_URL names a server of its own: no per-service roles here")
    conn = await asyncpg.connect(servers.for_service("graph").database_url,
                                 server_settings={"search_path": "graph"})
    try:
        yield conn
    finally:
        await conn.close()


async def test_graph_role_adds_and_reads_audit_rows_but_never_changes_them(
        api: Api, graph_db: asyncpg.Connection) -> None:
    owner, [member] = await owned(api, 1)
    assert await set_role(api, owner, member, "guest") == 200
    adding = graph_db.transaction()
    await adding.start()
    await audit.record(graph_db, network_id=1, action="test.inserted", actor_kind="system")
    assert await graph_db.fetchval("SELECT count(*) FROM audit_log") > 1
    await adding.rollback()
    for sql in ("UPDATE audit_log SET action = 'account.nothing'",
                "UPDATE audit_log SET ip = NULL WHERE id = (SELECT max(id) FROM audit_log)",
                "DELETE FROM audit_log",
                "DELETE FROM audit_log WHERE action = 'account.role_changed'",
                "TRUNCATE audit_log"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await graph_db.execute(sql)
    # The role still does its other work: its other tables take updates and deletes.
    await graph_db.execute("UPDATE accounts SET role = role WHERE id = $1", int(member.id))
