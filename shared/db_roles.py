"""PostgreSQL roles: one owner that holds the schemas and runs the migrations, and one runtime
role per service with data rights on its own schema only (no DDL, no other service's tables).

- ``hubbub_owner``: owns every service's schema and what is in it; ``hubbub migrate`` connects
  as it. Not a superuser, cannot create roles or databases.
- ``hubbub_<schema>`` (posts, graph, notify, gateway; fanout keeps nothing in PostgreSQL):
  USAGE on its schema, SELECT/INSERT/UPDATE/DELETE on its tables, its sequences; read-only on
  ``schema_migrations`` (to check it is migrated). Granted by every migration run, so new tables
  are covered without default privileges to keep in step. Append-only tables (``APPEND_ONLY``:
  the audit log) lose UPDATE and DELETE again: a service that is taken over cannot rewrite
  what it did.

Creating the roles is an administrator's job (a superuser or CREATEROLE): the embedded server
does it at start (``provision_sql``); in production the database operator does (deploy/README).
"""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

OWNER = "hubbub_owner"
SCHEMAS = ("graph", "posts", "notify", "gateway")
# Tables a runtime role may add rows to and read, never change or remove.
APPEND_ONLY: dict[str, tuple[str, ...]] = {"graph": ("audit_log",)}


def runtime_role(schema: str) -> str:
    return f"hubbub_{schema}"


async def grant_runtime_rights(conn: asyncpg.Connection, schema: str) -> None:
    """Give the schema's runtime role its data rights, if that role exists (a deployment may
    run every service with one role; then there is nothing to grant)."""
    role = runtime_role(schema)
    if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        return
    await conn.execute(f'''
        GRANT USAGE ON SCHEMA "{schema}" TO {role};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO {role};
        GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA "{schema}" TO {role};
        REVOKE INSERT, UPDATE, DELETE ON "{schema}".schema_migrations FROM {role};
    ''')
    for table in APPEND_ONLY.get(schema, ()):
        if await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".{table}'):
            await conn.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{schema}".{table} '
                               f"FROM {role}")


def provision_sql(database: str, passwords: dict[str, str]) -> str:
    """SQL for a superuser: create (or update) the roles with their passwords, take the rights
    PUBLIC has by default on the database away, and hand schemas made before the roles existed
    (by an older embedded server, as the superuser) to the owner. Idempotent.

    ``passwords``: role name -> password (generated, URL-safe: no quoting needed)."""
    statements = []
    for role, secret in passwords.items():
        statements.append(f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
    CREATE ROLE {role} LOGIN;
  END IF;
END $$;
ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD '{secret}';""")
    runtime = [role for role in passwords if role != OWNER]
    statements.append(f"""
REVOKE ALL ON DATABASE {database} FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT, CREATE ON DATABASE {database} TO {OWNER};
{"".join(f"GRANT CONNECT ON DATABASE {database} TO {role};" for role in runtime)}
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT nspname FROM pg_namespace
              WHERE nspname IN ({", ".join(f"'{s}'" for s in SCHEMAS)})
                AND nspowner <> '{OWNER}'::regrole LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO {OWNER}', item.nspname);
  END LOOP;
  -- Tables (their serial sequences follow them), views, then functions.
  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname IN ({", ".join(f"'{s}'" for s in SCHEMAS)})
                AND c.relkind IN ('r', 'p', 'v', 'm') AND c.relowner <> '{OWNER}'::regrole LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO {OWNER}', item.name);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname IN ({", ".join(f"'{s}'" for s in SCHEMAS)})
                AND p.proowner <> '{OWNER}'::regrole LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO {OWNER}', item.name);
  END LOOP;
END $$;
""")
    return "\n".join(statements)


def passwords_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """Role -> password from ``HUBBUB_OWNER_DB_PASSWORD`` and ``HUBBUB_<SCHEMA>_DB_PASSWORD``."""
    names = {OWNER: "HUBBUB_OWNER_DB_PASSWORD"}
    names.update((runtime_role(s), f"HUBBUB_{s.upper()}_DB_PASSWORD") for s in SCHEMAS)
    return {role: env[variable] for role, variable in names.items()}


async def provision(admin_url: str, database: str, passwords: dict[str, str]) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(provision_sql(database, passwords))
    finally:
        await conn.close()


def main() -> None:
    """``python -m shared.db_roles``: create the roles on a server of your own (compose's
    one-shot ``provision``), as ``HUBBUB_ADMIN_DATABASE_URL`` (a superuser or CREATEROLE)."""
    import asyncio
    import os

    asyncio.run(provision(os.environ["HUBBUB_ADMIN_DATABASE_URL"],
                          os.environ.get("HUBBUB_DATABASE_NAME", "hubbub"),
                          passwords_from_env(os.environ)))


if __name__ == "__main__":
    main()
