"""Mastodon's admin API for reports (/api/v1/admin/reports), for a network's moderators,
admins and owners, on their own network's reports only (another network's: 404). Roles are
checked by graph; the token needs ``admin:read:reports`` or ``admin:write:reports`` (or
``admin:read`` / ``admin:write``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.audit import audit_context
from services.gateway.application.moderation import shaped_reports
from services.gateway.context import gateway_of
from services.gateway.scopes import needs, per_param
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts.moderation import AdminReportQuery, AdminReportRef, ReportChange
from shared.ids import parse_id

PREFIX = "/api/v1/admin/reports"
DEFAULT_LIMIT, MAX_LIMIT = 100, 200
WRITE = needs("admin:write:reports")


class ReportsParams(params.Params):
    resolved: bool | None = None
    account_id: str | None = None
    target_account_id: str | None = None
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = DEFAULT_LIMIT


def _id(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    found = parse_id(value)
    if found is None:
        raise errors.Invalid("Validation failed: not an id")
    return found


@get(PREFIX, opt=needs("admin:read:reports"))
async def list_reports(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, ReportsParams, body=False)
    reply = await bus.call(gw.nc, graph_api.ADMIN_REPORTS, AdminReportQuery(
        # Mastodon's ReportFilter starts from the unresolved ones: resolved=true for the others.
        account_id=me.id, resolved=bool(p.resolved), reporter_id=_id(p.account_id),
        target_account_id=_id(p.target_account_id), max_id=parse_id(p.max_id),
        since_id=parse_id(p.since_id), min_id=parse_id(p.min_id),
        limit=max(1, min(p.limit, MAX_LIMIT))))
    shaped = await shaped_reports(gw, reply, me.id)
    return responses.json(shaped, headers=responses.link_header(request, gw.base_url, shaped))


def _report_id(value: str) -> int:
    found = parse_id(value)
    if found is None:
        raise errors.NotFound("Record not found")
    return found


@get(f"{PREFIX}/{{report_id:str}}", opt=needs("admin:read:reports"))
async def get_report(request: Request[Any, Any, Any], report_id: FromPath[str]
                     ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    reply = await bus.call(gw.nc, graph_api.ADMIN_REPORT_GET,
                           AdminReportRef(account_id=me.id, report_id=_report_id(report_id)))
    [shaped] = await shaped_reports(gw, reply, me.id)
    return responses.json(shaped)


@post(f"{PREFIX}/{{report_id:str}}/{{action:str}}", status_code=200, opt=per_param("action", {
    "assign_to_self": WRITE, "unassign": WRITE, "resolve": WRITE, "reopen": WRITE}))
async def change_report(request: Request[Any, Any, Any], report_id: FromPath[str],
                        action: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    reply = await bus.call(gw.nc, graph_api.ADMIN_REPORT_CHANGE, ReportChange(
        account_id=me.id, report_id=_report_id(report_id), change=action,
        audit=audit_context(request, caller)))
    [shaped] = await shaped_reports(gw, reply, me.id)
    return responses.json(shaped)


ROUTES = [list_reports, get_report, change_report]
