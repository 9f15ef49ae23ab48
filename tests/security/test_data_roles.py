"""The sealed inside, PostgreSQL and Valkey: each service's own role/user may do its work and
nothing more. Against the embedded servers as the test session starts them (the same
provisioning as `hubbub up`); the rest of the suite proves the rights are enough."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis.asyncio as aioredis
from redis import exceptions

from shared import db
from shared.fastredis import FastRedis
from shared.settings import Settings


@pytest.fixture(scope="module")
async def migrated(servers: Settings) -> Settings:
    if not servers.service_database_urls:
        pytest.skip("HUBBUB_DATABASE_URL names a server of its own: no per-service roles here")
    await db.migrate_all(servers)
    return servers


@pytest.fixture
async def posts_db(migrated: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(migrated.for_service("posts").database_url,
                                 server_settings={"search_path": "posts"})
    try:
        yield conn
    finally:
        await conn.close()


async def test_posts_role_reads_and_writes_its_own_tables(posts_db: asyncpg.Connection) -> None:
    async with posts_db.transaction():
        await posts_db.execute("DELETE FROM statuses WHERE id = -1")
        assert await posts_db.fetchval("SELECT count(*) FROM schema_migrations") > 0


@pytest.mark.parametrize("sql", [
    "CREATE TABLE intruder (id int)",
    "CREATE TABLE posts.intruder (id int)",
    "CREATE TABLE public.intruder (id int)",
    "CREATE TEMP TABLE intruder (id int)",
    "CREATE SCHEMA intruder",
    "DROP TABLE statuses",
    "ALTER TABLE statuses ADD COLUMN intruder int",
    "TRUNCATE statuses",
    "CREATE INDEX intruder ON statuses (id)",
    "SELECT * FROM graph.accounts LIMIT 1",
    "SELECT * FROM gateway.tokens LIMIT 1",
    "INSERT INTO schema_migrations (name) VALUES ('9999_forged.sql')",
], ids=lambda sql: " ".join(sql.split()[:3]))
async def test_posts_role_may_not(posts_db: asyncpg.Connection, sql: str) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await posts_db.execute(sql)


async def test_no_password_no_entry(migrated: Settings) -> None:
    without = migrated.for_service("graph").database_url.replace(
        migrated.for_service("graph").database_url.split("//")[1].split("@")[0], "postgres")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(without)


async def test_a_service_waits_for_its_migrations(migrated: Settings) -> None:
    """Without the owner's URL a service does not migrate: it checks, and finds it done."""
    posts = migrated.for_service("posts")
    assert posts.migration_database_url == ""
    assert posts.database_url != migrated.database_url
    conn = await asyncpg.connect(posts.database_url)
    try:
        assert await db.pending_migrations(conn, "posts") == []
    finally:
        await conn.close()


# --- Valkey -----------------------------------------------------------------------------------


@pytest.fixture
async def posts_cache(servers: Settings) -> AsyncIterator[aioredis.Redis]:
    if not servers.service_redis_urls:
        pytest.skip("HUBBUB_REDIS_URL names a server of its own: no per-service users here")
    client = aioredis.Redis.from_url(servers.for_service("posts").redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_posts_user_uses_its_own_keys(posts_cache: aioredis.Redis) -> None:
    assert await posts_cache.set("status:-1", b"", ex=5)
    assert await posts_cache.eval("return redis.call('GET', KEYS[1])", 1, "status:-1") == b""


@pytest.mark.parametrize("command", [
    ("GET", "acct:1"),  # graph's account cache
    ("SET", "acct:1", "forged"),
    ("ZRANGE", "tl:{u1}:home", "0", "-1"),  # fanout's timelines
    ("EVAL", "return redis.call('GET', KEYS[1])", "1", "acct:1"),
    ("FLUSHALL",),
    ("FLUSHDB",),
    ("CONFIG", "GET", "*"),
    ("CONFIG", "SET", "save", ""),
    ("KEYS", "*"),
    ("ACL", "LIST"),
    ("SCRIPT", "FLUSH"),
    ("PUBLISH", "anything", "x"),
], ids=lambda command: " ".join(command[:2]))
async def test_posts_user_may_not(posts_cache: aioredis.Redis, command: tuple[str, ...]) -> None:
    with pytest.raises(exceptions.NoPermissionError):
        await posts_cache.execute_command(*command)


async def test_the_lean_client_signs_in_as_its_user(servers: Settings) -> None:
    if not servers.service_redis_urls:
        pytest.skip("HUBBUB_REDIS_URL names a server of its own: no per-service users here")
    lean = FastRedis(servers.for_service("fanout").redis_url)
    try:
        assert await lean.zrange("tl:{u-1}:home", 0, -1) == []
        with pytest.raises(exceptions.ResponseError, match="NOPERM"):
            await lean.mget(["acct:1"])  # fanout does not read the account cache
    finally:
        await lean.aclose()


async def test_the_default_user_is_off(servers: Settings) -> None:
    if not servers.service_redis_urls:
        pytest.skip("HUBBUB_REDIS_URL names a server of its own: no per-service users here")
    address = servers.redis_url.rsplit("@", 1)[1]
    anonymous = aioredis.Redis.from_url(f"redis://{address}", protocol=2)
    try:
        with pytest.raises(exceptions.AuthenticationError):
            await anonymous.get("status:1")
        with pytest.raises(exceptions.AuthenticationError):
            await anonymous.execute_command("AUTH", "default", "")
    finally:
        await anonymous.aclose()
