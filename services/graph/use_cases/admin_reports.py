"""The network's reports as its moderators handle them (Mastodon's admin reports): list, read,
assign to oneself or unassign, resolve or reopen; each change in the audit log."""

from __future__ import annotations

import asyncpg

from services.graph import audit
from services.graph.store import moderation as mod_store
from services.graph.use_cases.moderate_account import moderator_of
from shared import errors
from shared.contracts.moderation import (
    REPORT_CHANGES,
    AdminReportQuery,
    AdminReportRef,
    AdminReports,
    ReportChange,
    ReportRecord,
)

_AUDIT_ACTION = {"assign_to_self": "report.assigned", "unassign": "report.unassigned",
                 "resolve": "report.resolved", "reopen": "report.reopened"}


async def with_accounts(conn: asyncpg.Connection, network_id: int,
                        reports: list[ReportRecord]) -> AdminReports:
    named = {i for r in reports for i in (r.account_id, r.target_account_id,
                                          r.assigned_account_id, r.action_taken_by_account_id)
             if i is not None}
    accounts = (await mod_store.admin_accounts_by_ids(conn, network_id, sorted(named))
                if named else [])
    return AdminReports(reports=reports, accounts=accounts)


async def _report_in(conn: asyncpg.Connection, network_id: int, report_id: int, *,
                     lock: bool = False) -> ReportRecord:
    found = await mod_store.report(conn, report_id, lock=lock)
    if found is None or found.network_id != network_id:  # another network's: unknown here
        raise errors.NotFound("Record not found")
    return found


class ListReports:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: AdminReportQuery) -> AdminReports:
        async with self.pool.acquire() as conn:
            moderator = await moderator_of(conn, req.account_id)
            reports = await mod_store.reports_page(
                conn, moderator["network_id"], resolved=req.resolved,
                reporter_id=req.reporter_id, target_id=req.target_account_id,
                max_id=req.max_id, since_id=req.since_id, min_id=req.min_id, limit=req.limit)
            return await with_accounts(conn, moderator["network_id"], reports)


class GetReport:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: AdminReportRef) -> AdminReports:
        async with self.pool.acquire() as conn:
            moderator = await moderator_of(conn, req.account_id)
            found = await _report_in(conn, moderator["network_id"], req.report_id)
            return await with_accounts(conn, moderator["network_id"], [found])


class ChangeReport:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: ReportChange) -> AdminReports:
        if req.change not in REPORT_CHANGES:
            raise errors.NotFound("Record not found")
        async with self.pool.acquire() as conn, conn.transaction():
            moderator = await moderator_of(conn, req.account_id)
            network_id = moderator["network_id"]
            found = await _report_in(conn, network_id, req.report_id, lock=True)
            if _changes(found, req.change, req.account_id):
                await mod_store.change_report(conn, found.id, req.change, req.account_id)
                await audit.record(conn, network_id=network_id,
                                   action=_AUDIT_ACTION[req.change], actor_id=req.account_id,
                                   target_id=found.target_account_id, context=req.audit,
                                   details={"report_id": str(found.id)})
            after = await _report_in(conn, network_id, req.report_id)
            return await with_accounts(conn, network_id, [after])


def _changes(report: ReportRecord, change: str, actor_id: int) -> bool:
    """Whether ``change`` changes anything (the same change twice is logged once)."""
    if change == "assign_to_self":
        return report.assigned_account_id != actor_id
    if change == "unassign":
        return report.assigned_account_id is not None
    if change == "resolve":
        return report.action_taken_at is None
    return report.action_taken_at is not None  # reopen
