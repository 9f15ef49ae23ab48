"""A replica started on another release's schema: not ready, and a log line that says why,
until it can serve; migrations applied once however many replicas start together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import msgspec
import pytest

from services.notify.app import NotifyService
from shared import credentials, db
from shared.settings import Settings
from tests.helpers import unique

pytestmark = pytest.mark.timeout(120)
FUTURE = "9999_from_a_newer_release.sql"


@pytest.fixture
async def newer_schema(servers: Settings) -> AsyncIterator[Settings]:
    """The notify schema as a newer release left it: one migration more than this one has."""
    await db.migrate_all(servers)
    owner = await asyncpg.connect(servers.owner_database_url)
    try:
        await owner.execute("INSERT INTO notify.schema_migrations (name) VALUES ($1) "
                            "ON CONFLICT DO NOTHING", FUTURE)
        yield servers
    finally:
        await owner.execute("DELETE FROM notify.schema_migrations WHERE name = $1", FUTURE)
        await owner.close()


async def test_a_replica_on_a_newer_schema_is_not_ready_and_says_why(
        newer_schema: Settings, caplog: pytest.LogCaptureFixture) -> None:
    ports = {**newer_schema.ports, "notify": 0}
    service = NotifyService(msgspec.structs.replace(newer_schema, ports=ports))
    starting = asyncio.create_task(service.start())
    try:
        with caplog.at_level(logging.WARNING, logger="shared.db"):
            for _ in range(100):
                if FUTURE in caplog.text:
                    break
                assert not starting.done(), starting
                await asyncio.sleep(0.05)
        assert "migrated by a newer release" in caplog.text and FUTURE in caplog.text
        async with httpx.AsyncClient(timeout=5) as client:
            ready = await client.get(f"http://127.0.0.1:{service.health.port}/readyz")
        assert ready.status_code == 503, ready.text
        assert not starting.done()
    finally:
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        await service.stop()


async def test_it_serves_once_the_schema_fits_or_when_told_to(newer_schema: Settings) -> None:
    settings = newer_schema.for_service("notify")
    pool = await db.create_pool(settings, "notify", attempts=1)
    try:
        # An operator who knows the newer migrations only add: serve anyway.
        allowed = msgspec.structs.replace(settings, allow_newer_schema=True)
        await asyncio.wait_for(db.prepare_schema(allowed, pool, "notify"), 5)
        # Otherwise it waits, and goes on by itself once the schema fits (here: the newer
        # migration's record gone, as after a restore).
        waiting = asyncio.create_task(db.prepare_schema(settings, pool, "notify"))
        await asyncio.sleep(1)
        assert not waiting.done()
        owner = await asyncpg.connect(newer_schema.owner_database_url)
        try:
            await owner.execute("DELETE FROM notify.schema_migrations WHERE name = $1", FUTURE)
        finally:
            await owner.close()
        await asyncio.wait_for(waiting, 15)
    finally:
        await pool.close()


async def test_a_replica_on_an_older_schema_waits_for_its_migrations(
        servers: Settings, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """This release has a migration the schema lacks, and no owner's URL to apply it."""
    await db.migrate_all(servers)
    files = db.migration_files("notify")
    monkeypatch.setattr(db, "migration_files", lambda schema: [*files, (FUTURE, "SELECT 1")])
    settings = servers.for_service("notify")
    assert not settings.migration_database_url
    pool = await db.create_pool(settings, "notify", attempts=1)
    try:
        with caplog.at_level(logging.WARNING, logger="shared.db"):
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(db.prepare_schema(settings, pool, "notify"), 1.5)
        assert f"lacks migrations {FUTURE}" in caplog.text
    finally:
        await pool.close()


@pytest.fixture
async def empty_database(servers: Settings) -> AsyncIterator[Settings]:
    """A database of its own, owned by the migrating role, with nothing in it yet."""
    if not servers.service_database_urls:
        pytest.skip("HUBBUB_DATABASE_URL names a server of its own: no superuser here")
    name = unique("migrations_")
    superuser = credentials.embedded_superuser_url(servers.database_url,
                                                   Path(servers.data_dir))
    admin = await asyncpg.connect(superuser)
    owner = servers.owner_database_url.split("//", 1)[1].split(":", 1)[0]
    await admin.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    try:
        base, _ = servers.owner_database_url.rsplit("/", 1)
        yield msgspec.structs.replace(servers, migration_database_url=f"{base}/{name}")
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def test_replicas_starting_together_migrate_once(empty_database: Settings) -> None:
    first, second = await asyncio.gather(db.migrate_all(empty_database),
                                         db.migrate_all(empty_database))
    for schema in db.SCHEMAS:
        everything = [name for name, _ in db.migration_files(schema)]
        # One of them applied each migration (the other waited for the lock, then found it
        # done): nothing twice, nothing missing.
        assert sorted(first[schema] + second[schema]) == everything
