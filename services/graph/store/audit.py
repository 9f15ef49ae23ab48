"""SQL for the audit log: rows are added and read, never changed (the graph runtime role may
not UPDATE or DELETE them: shared/db_roles.py)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from shared.contracts.network_admin import AuditEntry
from shared.paging import id_window

MAX_PAGE = 80


async def insert_entry(conn: asyncpg.Connection, *, entry_id: int, network_id: int,
                       actor_kind: str, actor_id: int | None, action: str,
                       target_id: int | None, details: dict[str, Any], ip: str | None,
                       app_id: int | None, app_name: str | None) -> None:
    await conn.execute(
        "INSERT INTO audit_log (id, network_id, actor_kind, actor_id, action, target_id, "
        "details, ip, app_id, app_name) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10)",
        entry_id, network_id, actor_kind, actor_id, action, target_id, json.dumps(details),
        ip, app_id, app_name)


async def entries_page(conn: asyncpg.Connection, network_id: int, *, max_id: int | None,
                       since_id: int | None, min_id: int | None, limit: int
                       ) -> list[AuditEntry]:
    window = id_window("id", max_id=max_id, since_id=since_id, min_id=min_id, limit=limit,
                       max_limit=MAX_PAGE, first_arg=2)
    rows = await conn.fetch(
        "SELECT id, action, (extract(epoch FROM created_at) * 1000)::bigint AS created_at, "
        "actor_kind, actor_id, target_id, ip, app_id, app_name, details::text AS details "
        f"FROM audit_log WHERE network_id = $1{window.sql}", network_id, *window.args)
    return window.newest_first([
        AuditEntry(**{**dict(row), "details": json.loads(row["details"])}) for row in rows])
