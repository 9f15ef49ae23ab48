"""The graph's NATS API for reports and moderation (#17): each verb its use case
(services/graph/use_cases/file_report.py, moderate_account.py, admin_accounts.py,
admin_reports.py, sign_up_blocks.py)."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.use_cases.admin_accounts import GetAdminAccount, ListAdminAccounts
from services.graph.use_cases.admin_reports import ChangeReport, GetReport, ListReports
from services.graph.use_cases.file_report import FileReport
from services.graph.use_cases.moderate_account import ModerateAccount
from services.graph.use_cases.network_stats import NetworkStatsOf
from services.graph.use_cases.sign_up_blocks import ManageSignUpBlocks
from shared.contracts import graph as api
from shared.service_host import ServiceHost


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    host.serve(api.REPORT_CREATE, FileReport(pool))
    host.serve(api.ADMIN_ACCOUNTS, ListAdminAccounts(pool))
    host.serve(api.ADMIN_ACCOUNT_GET, GetAdminAccount(pool))
    host.serve(api.ADMIN_ACCOUNT_ACTION, ModerateAccount(pool, cache))
    host.serve(api.ADMIN_REPORTS, ListReports(pool))
    host.serve(api.ADMIN_REPORT_GET, GetReport(pool))
    host.serve(api.ADMIN_REPORT_CHANGE, ChangeReport(pool))
    host.serve(api.ADMIN_STATS, NetworkStatsOf(pool))
    blocks = ManageSignUpBlocks(pool)
    host.serve(api.ADMIN_BLOCKS, blocks.list)
    host.serve(api.ADMIN_BLOCK_GET, blocks.get)
    host.serve(api.ADMIN_BLOCK_SAVE, blocks.save)
    host.serve(api.ADMIN_BLOCK_DELETE, blocks.delete)
    host.serve(api.ADMIN_BLOCK_TEST, blocks.test)
