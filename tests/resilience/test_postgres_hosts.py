"""PostgreSQL URLs that list several hosts (libpq's form, as a primary and its standbys are
given): every way Hubbub connects (a service's pool, the migration runner, the worker-id lease,
the outbox's listener) tries them in turn and keeps the one that takes writes. A dead host
listed first (as after a failover) costs nothing but a refused connection."""

from __future__ import annotations

import msgspec
import pytest

from shared import credentials, db, infra, worker_lease
from shared.settings import Settings


def follow_primary(url: str, dead_port: int) -> str:
    """``url`` with a dead host in front of its own, and the libpq attribute that asks for
    the primary."""
    assert "@127.0.0.1:" in url, url
    listed = url.replace("@127.0.0.1:", f"@127.0.0.1:{dead_port},127.0.0.1:", 1)
    return listed + ("&" if "?" in listed else "?") + "target_session_attrs=read-write"


@pytest.fixture
def listed(servers: Settings) -> Settings:
    dead = infra.free_port()
    return msgspec.structs.replace(
        servers, database_url=follow_primary(servers.database_url, dead),
        migration_database_url=follow_primary(servers.owner_database_url, dead),
        service_database_urls={name: follow_primary(url, dead)
                               for name, url in servers.service_database_urls.items()})


def real_port(servers: Settings) -> str:
    return servers.database_url.split("@127.0.0.1:", 1)[1].split("/", 1)[0]


async def test_a_service_pool_and_its_schema_check(servers: Settings, listed: Settings) -> None:
    await db.migrate_all(listed)
    posts = listed.for_service("posts")
    assert posts.database_url.count("127.0.0.1:") == 2
    pool = await db.create_pool(posts, "posts", attempts=1)
    try:
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_setting('port')") == real_port(servers)
            assert not await conn.fetchval("SELECT pg_is_in_recovery()")  # the primary
        await db.prepare_schema(posts, pool, "posts")  # at its latest migration: returns
    finally:
        await pool.close()


async def test_the_migration_runner(listed: Settings) -> None:
    applied = await db.migrate_all(listed)
    assert set(applied) == set(db.SCHEMAS)
    assert await db.migrate_all(listed) == {schema: [] for schema in db.SCHEMAS}


async def test_the_worker_id_lease(listed: Settings) -> None:
    lease = worker_lease.WorkerLease(listed.for_service("graph").database_url, grace_s=0)
    worker = await lease.start()
    try:
        assert lease.worker == worker
    finally:
        await lease.stop()


def test_credentials_go_in_front_of_every_host() -> None:
    url = credentials.with_user("postgresql://a:1,b:2/hubbub?target_session_attrs=read-write",
                                "hubbub_posts", "s3cret")
    assert url == ("postgresql://hubbub_posts:s3cret@a:1,b:2/hubbub"
                   "?target_session_attrs=read-write")


def test_the_standby_url_lists_the_standbys_first_and_prefers_them() -> None:
    assert db.standby_url("postgresql://u:p@primary:5432/hubbub", "s1:5432,s2:5433") == (
        "postgresql://u:p@s1:5432,s2:5433,primary:5432/hubbub"
        "?target_session_attrs=prefer-standby")
    assert db.standby_url(
        "postgresql://u:p@a:1,b:2/hubbub?sslmode=require&target_session_attrs=read-write",
        "s:3") == ("postgresql://u:p@s:3,a:1,b:2/hubbub"
                   "?sslmode=require&target_session_attrs=prefer-standby")


async def test_no_standby_no_read_pool(servers: Settings) -> None:
    assert await db.create_read_pool(servers.for_service("posts"), "posts") is None


async def test_reads_fall_back_to_the_primary_while_no_standby_answers(
        servers: Settings) -> None:
    """The standby listed is down (restarting, or being rebuilt after a failover): the
    lag-tolerant reads go to the primary meanwhile, rather than fail."""
    await db.migrate_all(servers)
    settings = msgspec.structs.replace(
        servers.for_service("posts"), database_standby_hosts=f"127.0.0.1:{infra.free_port()}")
    pool = await db.create_read_pool(settings, "posts")
    assert pool is not None
    try:
        async with pool.acquire() as conn:
            assert not await conn.fetchval("SELECT pg_is_in_recovery()")
            assert await conn.fetchval("SELECT count(*) >= 0 FROM statuses")
    finally:
        await pool.close()
