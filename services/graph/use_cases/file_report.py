"""A member reports an account of its network (Mastodon's POST /api/v1/reports): its
moderators see it in the admin API. The statuses named were checked by the gateway to be the
reported account's (posts owns them); here, who may report whom."""

from __future__ import annotations

import asyncpg

from services.graph import store
from services.graph.store import moderation as mod_store
from shared import errors
from shared.contracts.moderation import (
    CATEGORIES,
    MAX_COMMENT,
    MAX_REPORTED_STATUSES,
    CreateReport,
    ReportRecord,
)
from shared.ids import new_id


class FileReport:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: CreateReport) -> ReportRecord:
        if req.category not in CATEGORIES:
            raise errors.Invalid(f"Validation failed: category must be one of "
                                 f"{', '.join(CATEGORIES)}")
        if len(req.comment) > MAX_COMMENT:
            raise errors.Invalid(f"Validation failed: comment is too long (maximum is "
                                 f"{MAX_COMMENT} characters)")
        if "\x00" in req.comment:
            raise errors.Invalid("Validation failed: comment is not text")
        if len(req.status_ids) > MAX_REPORTED_STATUSES:
            raise errors.Invalid(f"Validation failed: at most {MAX_REPORTED_STATUSES} "
                                 "statuses")
        if req.account_id == req.target_id:
            raise errors.Invalid("Validation failed: you cannot report yourself")
        async with self.pool.acquire() as conn, conn.transaction():
            reporter = await store.member_of(conn, req.account_id)
            if reporter is None or reporter["deactivated"]:
                raise errors.NotFound("Record not found")
            target = await store.member_of(conn, req.target_id)
            # Nothing crosses networks: another network's account is unknown here, as one the
            # reporter may not see (suspended, deactivated).
            if (target is None or target["deactivated"]
                    or target["network_id"] != reporter["network_id"]):
                raise errors.NotFound("Record not found")
            return await mod_store.insert_report(
                conn, report_id=new_id(), network_id=reporter["network_id"],
                account_id=req.account_id, target_id=req.target_id,
                status_ids=list(dict.fromkeys(req.status_ids)), comment=req.comment,
                category=req.category)
