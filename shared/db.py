"""PostgreSQL: one schema per service, a pool per process, plain-SQL migrations.

Each service reads and writes only its own schema (``search_path`` is set to it), so the path to
one database per service stays open. Migrations are ``services/<name>/migrations/NNNN_*.sql``,
applied in order under an advisory lock (two copies of a service may start together) and recorded
in ``<schema>.schema_migrations``.

Roles: migrations run as the role that owns the schemas (``hubbub migrate``, or a service given
``HUBBUB_MIGRATION_DATABASE_URL``); each service runs as its own role (``hubbub_<schema>``) with
data rights on its own tables only, granted here after every migration run (shared/db_roles.py).
A service without the owner's URL waits at start until its schema is at its latest migration.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import resources

import asyncpg
import msgspec

from shared import db_roles, request_keys
from shared.cancel import raise_if_cancelled
from shared.settings import Settings

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x48554242  # "HUBB": one lock for every schema's migrations
SCHEMAS = db_roles.SCHEMAS


async def _keep_session(conn: asyncpg.Connection) -> None:
    """asyncpg resets every connection it takes back (advisory locks, cursors, LISTEN, SET):
    a round trip per use, 7% of the posts service's CPU in bench live. Hubbub's pooled
    connections keep no session state (transactions are scoped, SET is LOCAL, the migration
    lock is released in a finally, LISTEN has its own connection), so there is nothing to
    reset. (asyncpg still rolls back a transaction left open, before calling this.)

    What was registered to run after a commit that never came (a transaction left open and
    rolled back by the pool) is dropped: it must not run at the next user's commit."""
    if isinstance(conn, request_keys.ClaimingConnection):
        conn.committed_callbacks.clear()


async def create_pool(
    settings: Settings, schema: str, *, attempts: int | None = None, max_size: int | None = None
) -> asyncpg.Pool:
    """A pool whose connections see ``schema`` first; retries with backoff while Postgres starts."""
    delay = 0.2
    attempt = 0
    while True:
        attempt += 1
        try:
            return await asyncpg.create_pool(
                settings.database_url,
                min_size=1,
                max_size=max_size or settings.db_pool_max,
                server_settings={"search_path": schema, "application_name": f"hubbub-{schema}"},
                reset=_keep_session,
                # Its transactions commit a retried write's idempotency key with the write.
                connection_class=request_keys.ClaimingConnection,
            )
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            raise_if_cancelled(exc)
            if attempts is not None and attempt >= attempts:
                raise
            log.warning("postgres not reachable (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def close_pool(pool: asyncpg.Pool, *, timeout: float = 10.0) -> None:
    """Close a pool at shutdown, gracefully for up to ``timeout`` seconds, then by force.

    asyncpg's ``Pool.close()`` waits, with no bound, until every connection is given back; one
    still held when the stop reaches the pool (by a request handler past its 5 s drain, a
    background task stuck on a query) would hold the process's stop forever, past any
    orchestrator's grace period, and the stop's later steps (Valkey, health server) would never
    run. (An event consumer's stop, earlier, is bounded too: shared/consumers.py.)"""
    try:
        await asyncio.wait_for(pool.close(), timeout)
    except TimeoutError:
        log.warning("a PostgreSQL connection was still in use %.0f s into shutdown; "
                    "closing the pool by force", timeout)
        pool.terminate()


def standby_url(url: str, standby_hosts: str) -> str:
    """``url`` (one host or libpq's list) with the standbys listed first and asking for a
    standby: asyncpg tries each, keeps a standby, and falls back to the primary (still listed)
    when none answers as one (``target_session_attrs=prefer-standby``). Same role, same
    database: a streaming standby is a copy of the primary."""
    scheme, rest = url.split("://", 1)
    userinfo, at, after = rest.rpartition("@")
    hosts, _, tail = after.partition("/")
    path, _, query = tail.partition("?")
    params = [p for p in query.split("&") if p and not p.startswith("target_session_attrs=")]
    params.append("target_session_attrs=prefer-standby")
    return f"{scheme}://{userinfo}{at}{standby_hosts},{hosts}/{path}?{'&'.join(params)}"


async def create_read_pool(settings: Settings, schema: str) -> asyncpg.Pool | None:
    """A pool on a standby, for reads that can stand the replication lag (a fraction of a
    second, more under load): only where ``HUBBUB_DATABASE_STANDBY_HOSTS`` names standbys;
    None otherwise (read from ``create_pool``'s). Today: the posts service's trends (tags,
    statuses, links), its weekly counts and instance activity, all aggregates over days that
    are cached for minutes anyway, and the heaviest scans it runs for readers. Nothing a
    reader must see right after writing it (their own statuses, timelines, rebuilds) reads
    from a standby."""
    if not settings.database_standby_hosts or not settings.database_url:
        return None
    read = msgspec.structs.replace(
        settings, database_url=standby_url(settings.database_url,
                                           settings.database_standby_hosts))
    return await create_pool(read, schema, max_size=max(2, settings.db_pool_max // 2))


def migration_files(schema: str) -> list[tuple[str, str]]:
    folder = resources.files(f"services.{schema}").joinpath("migrations")
    files = sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    )
    return files


async def migrate(conn: asyncpg.Connection, schema: str) -> list[str]:
    """Apply the schema's pending migrations; returns the names applied. Idempotent."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations '
            "(name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {
            row["name"]
            for row in await conn.fetch(f'SELECT name FROM "{schema}".schema_migrations')
        }
        for name, sql in migration_files(schema):
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(f'SET LOCAL search_path TO "{schema}"')
                await conn.execute(sql)
                await conn.execute(
                    f'INSERT INTO "{schema}".schema_migrations (name) VALUES ($1)', name
                )
            applied_now.append(name)
            log.info("migrated %s: %s", schema, name)
        # Every run, not only when something was applied: a role created after the tables
        # (an existing data folder) gets its rights too.
        await db_roles.grant_runtime_rights(conn, schema)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now


async def applied_migrations(conn: asyncpg.Connection, schema: str) -> set[str]:
    """The schema's recorded migrations (none if it does not exist yet, or this role may not
    read it)."""
    try:
        return {row["name"] for row in
                await conn.fetch(f'SELECT name FROM "{schema}".schema_migrations')}
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError,
            asyncpg.InsufficientPrivilegeError):
        return set()


async def pending_migrations(conn: asyncpg.Connection, schema: str) -> list[str]:
    """The schema's migrations not yet applied (all of them if it does not exist yet, or this
    role may not read it)."""
    done = await applied_migrations(conn, schema)
    return [name for name, _ in migration_files(schema) if name not in done]


async def unknown_migrations(conn: asyncpg.Connection, schema: str) -> list[str]:
    """Migrations recorded in the schema that this release does not have: a newer release
    migrated it."""
    known = {name for name, _ in migration_files(schema)}
    return sorted(await applied_migrations(conn, schema) - known)


async def prepare_schema(settings: Settings, pool: asyncpg.Pool, schema: str) -> None:
    """At a service's start, until the schema is the one this release was written for (the
    service is not ready meanwhile: /readyz answers 503, and says why in the log):

    - older (migrations missing): migrate with the owner's URL if it was given one; otherwise
      wait until someone has (``hubbub migrate``, or a replica that has the URL);
    - newer (migrations this release does not know, recorded by a newer release): wait, as
      this release's queries may not fit it; a roll-back whose migrations the operator knows
      to be additive sets ``HUBBUB_ALLOW_NEWER_SCHEMA=1``.

    Migrations run once across replicas: ``migrate`` holds an advisory lock, and a replica
    that waited for it finds them applied."""
    if settings.migration_database_url:
        conn = await asyncpg.connect(settings.migration_database_url)
        try:
            await migrate(conn, schema)
        finally:
            await conn.close()
    delay = 0.5
    while True:
        async with pool.acquire() as conn:
            missing = await pending_migrations(conn, schema)
            unknown = await unknown_migrations(conn, schema)
        if unknown and settings.allow_newer_schema:
            log.warning("schema %s has migrations this release does not know (%s): serving "
                        "anyway, as HUBBUB_ALLOW_NEWER_SCHEMA says", schema, ", ".join(unknown))
            unknown = []
        if not missing and not unknown:
            return
        if unknown:
            log.error("schema %s was migrated by a newer release (%s unknown here): not ready; "
                      "run the newer release, or set HUBBUB_ALLOW_NEWER_SCHEMA=1 if those "
                      "migrations only add; checking again in %.0fs",
                      schema, ", ".join(unknown), delay)
        else:
            log.warning("schema %s lacks migrations %s: not ready until `hubbub migrate` has "
                        "run (this service has no HUBBUB_MIGRATION_DATABASE_URL to do it); "
                        "checking again in %.1fs", schema, ", ".join(missing), delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 10.0)


async def migrate_all(settings: Settings, schemas: tuple[str, ...] = SCHEMAS
                      ) -> dict[str, list[str]]:
    conn = await asyncpg.connect(settings.owner_database_url)
    try:
        return {schema: await migrate(conn, schema) for schema in schemas}
    finally:
        await conn.close()
