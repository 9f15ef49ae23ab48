"""SQL for moderation: reports, moderators' marks on accounts (silenced, suspended, disabled,
sensitized) and the admin's account list with its filters."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from services.graph.store.accounts import ACCOUNT_COLUMNS, ACCOUNTS_FROM
from shared.contracts.moderation import AdminAccount, ReportRecord
from shared.paging import id_window
from shared.records import AccountRecord

MAX_PAGE = 200
REPORT_COLUMNS = """
    id, network_id, account_id, target_account_id, status_ids, comment, category,
    assigned_account_id, action_taken_by_account_id,
    (extract(epoch FROM action_taken_at) * 1000)::bigint AS action_taken_at,
    (extract(epoch FROM created_at) * 1000)::bigint AS created_at,
    (extract(epoch FROM updated_at) * 1000)::bigint AS updated_at
"""
# Each mark, its column: the only names that become SQL, chosen from this table.
MARKS = {"silenced": "silenced_at", "suspended": "suspended_at", "disabled": "disabled_at",
         "sensitized": "sensitized_at"}
# v2's ``status`` filter as SQL on ``a``.
STATUS_SQL = {
    "active": ("a.deactivated_at IS NULL AND a.suspended_at IS NULL AND a.disabled_at IS NULL "
               "AND a.confirmed_at IS NOT NULL AND a.approved_at IS NOT NULL"),
    "pending": ("a.approved_at IS NULL AND a.confirmed_at IS NOT NULL "
                "AND a.deactivated_at IS NULL"),
    "disabled": "a.disabled_at IS NOT NULL",
    "silenced": "a.silenced_at IS NOT NULL",
    "suspended": "a.suspended_at IS NOT NULL",
}


def _report(row: asyncpg.Record) -> ReportRecord:
    return ReportRecord(**{**dict(row), "status_ids": list(row["status_ids"])})


async def insert_report(conn: asyncpg.Connection, *, report_id: int, network_id: int,
                        account_id: int, target_id: int, status_ids: list[int], comment: str,
                        category: str) -> ReportRecord:
    row = await conn.fetchrow(
        "INSERT INTO reports (id, network_id, account_id, target_account_id, status_ids, "
        "comment, category) VALUES ($1, $2, $3, $4, $5::bigint[], $6, $7) "
        f"RETURNING {REPORT_COLUMNS}",
        report_id, network_id, account_id, target_id, status_ids, comment, category)
    return _report(row)


async def report(conn: asyncpg.Connection, report_id: int, *, lock: bool = False
                 ) -> ReportRecord | None:
    row = await conn.fetchrow(
        f"SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1"
        + (" FOR UPDATE" if lock else ""), report_id)
    return _report(row) if row else None


async def reports_page(conn: asyncpg.Connection, network_id: int, *, resolved: bool | None,
                       reporter_id: int | None, target_id: int | None, max_id: int | None,
                       since_id: int | None, min_id: int | None, limit: int
                       ) -> list[ReportRecord]:
    where = ["network_id = $1"]
    args: list[Any] = [network_id]
    if resolved is not None:
        where.append("action_taken_at IS NOT NULL" if resolved else "action_taken_at IS NULL")
    if reporter_id is not None:
        args.append(reporter_id)
        where.append(f"account_id = ${len(args)}")
    if target_id is not None:
        args.append(target_id)
        where.append(f"target_account_id = ${len(args)}")
    window = id_window("id", max_id=max_id, since_id=since_id, min_id=min_id, limit=limit,
                       max_limit=MAX_PAGE, first_arg=len(args) + 1)
    rows = await conn.fetch(
        f"SELECT {REPORT_COLUMNS} FROM reports WHERE {' AND '.join(where)}{window.sql}",
        *args, *window.args)
    return window.newest_first([_report(r) for r in rows])


async def change_report(conn: asyncpg.Connection, report_id: int, change: str,
                        actor_id: int) -> None:
    sql = {
        "assign_to_self": "assigned_account_id = $2",
        "unassign": "assigned_account_id = NULL",
        "resolve": "action_taken_at = now(), action_taken_by_account_id = $2",
        "reopen": "action_taken_at = NULL, action_taken_by_account_id = NULL",
    }[change]
    args: list[Any] = [report_id] + ([actor_id] if "$2" in sql else [])
    await conn.execute(f"UPDATE reports SET {sql}, updated_at = now() WHERE id = $1", *args)


async def set_mark(conn: asyncpg.Connection, account_id: int, mark: str, on: bool) -> None:
    column = MARKS[mark]
    await conn.execute(
        f"UPDATE accounts SET {column} = {'coalesce(' + column + ', now())' if on else 'NULL'} "
        "WHERE id = $1", account_id)


async def marks(conn: asyncpg.Connection, account_id: int) -> asyncpg.Record | None:
    """The account's network, role, marks and whether it is locked out, its row locked."""
    return await conn.fetchrow(
        "SELECT network_id, role, deactivated_at IS NOT NULL AS deactivated, "
        "silenced_at IS NOT NULL AS silenced, suspended_at IS NOT NULL AS suspended, "
        "disabled_at IS NOT NULL AS disabled, sensitized_at IS NOT NULL AS sensitized "
        "FROM accounts WHERE id = $1 FOR UPDATE", account_id)


ADMIN_COLUMNS = f"{ACCOUNT_COLUMNS}, a.email"


def _admin(row: asyncpg.Record) -> AdminAccount:
    values = dict(row)
    email = values.pop("email")
    values["fields"] = json.loads(values["fields"]) if values["fields"] else []
    return AdminAccount(account=AccountRecord(**values), email=email)


async def admin_accounts_by_ids(conn: asyncpg.Connection, network_id: int, ids: list[int]
                                ) -> list[AdminAccount]:
    rows = await conn.fetch(
        f"SELECT {ADMIN_COLUMNS} {ACCOUNTS_FROM} WHERE a.id = ANY($1::bigint[]) "
        "AND a.network_id = $2", ids, network_id)
    return [_admin(r) for r in rows]


def _like(text: str) -> str:
    """A substring pattern for ILIKE, its wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def admin_accounts_page(conn: asyncpg.Connection, network_id: int, *,
                              status: str | None, roles: list[str], username: str | None,
                              display_name: str | None, email: str | None,
                              by_domain: str | None, sensitized: bool | None, staff: bool,
                              max_id: int | None, since_id: int | None, min_id: int | None,
                              limit: int) -> list[AdminAccount]:
    where = ["a.network_id = $1"]
    args: list[Any] = [network_id]
    if status is not None:
        where.append(STATUS_SQL[status])
    if sensitized is not None:
        where.append("a.sensitized_at IS NOT NULL" if sensitized
                     else "a.sensitized_at IS NULL")
    if staff:
        where.append("a.role IN ('owner', 'admin', 'moderator')")
    if roles:
        args.append(roles)
        where.append(f"a.role = ANY(${len(args)}::text[])")
    for value, sql in ((_like(username) if username else None, "a.username ILIKE ${n}"),
                       (_like(display_name) if display_name else None,
                        "a.display_name ILIKE ${n}"),
                       (_like(email) if email else None, "a.email ILIKE ${n}"),
                       (by_domain.lower() if by_domain else None,
                        "lower(split_part(a.email, '@', 2)) = ${n}")):
        if value is not None:
            args.append(value)
            where.append(sql.replace("{n}", str(len(args))))
    window = id_window("a.id", max_id=max_id, since_id=since_id, min_id=min_id, limit=limit,
                       max_limit=MAX_PAGE, first_arg=len(args) + 1)
    rows = await conn.fetch(
        f"SELECT {ADMIN_COLUMNS} {ACCOUNTS_FROM} WHERE {' AND '.join(where)}{window.sql}",
        *args, *window.args)
    return window.newest_first([_admin(r) for r in rows])


_DAY = "to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


async def new_ids_by_day(conn: asyncpg.Connection, network_id: int, first: Any, last: Any
                         ) -> dict[str, list[int]]:
    rows = await conn.fetch(
        f"SELECT {_DAY.format(col='created_at')} AS day, array_agg(id ORDER BY id) AS ids "
        "FROM accounts WHERE network_id = $1 AND created_at >= $2 AND created_at < $3 "
        "AND confirmed_at IS NOT NULL AND approved_at IS NOT NULL GROUP BY day",
        network_id, first, last)
    return {r["day"]: list(r["ids"]) for r in rows}


async def reports_by_day(conn: asyncpg.Connection, network_id: int, first: Any, last: Any,
                         column: str) -> dict[str, int]:
    """Reports opened (``created_at``) or resolved (``action_taken_at``) per day."""
    if column not in ("created_at", "action_taken_at"):
        raise ValueError(column)
    rows = await conn.fetch(
        f"SELECT {_DAY.format(col=column)} AS day, count(*) AS n FROM reports "
        f"WHERE network_id = $1 AND {column} >= $2 AND {column} < $3 GROUP BY day",
        network_id, first, last)
    return {r["day"]: int(r["n"]) for r in rows}
