"""Reporting an account (Mastodon's POST /api/v1/reports) to its network's moderators. The
statuses named must be the reported account's (422): posts owns them, so they are checked
here before graph files the report. ``rule_ids`` (Hubbub has no rules) and ``forward`` (no
federation) are accepted and ignored."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post

from services.gateway import params, responses
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.presenters.moderation import report
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts.moderation import MAX_REPORTED_STATUSES, CreateReport
from shared.ids import parse_id


class ReportParams(params.Params):
    # Strings as Mastodon's ids are; numbers too (Mastodon.py sends what it was given).
    account_id: str | int
    status_ids: list[str | int] | str | int = []
    comment: str = ""
    category: str = "other"
    forward: bool = False  # no federation: nowhere to forward to


@post("/api/v1/reports", status_code=200, opt=needs("write:reports"))
async def create_report(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    p = await params.read(request, ReportParams)
    target_id = parse_id(str(p.account_id))
    if target_id is None:
        raise errors.NotFound("Record not found")
    given = p.status_ids if isinstance(p.status_ids, list) else [p.status_ids]
    if len(given) > MAX_REPORTED_STATUSES:
        raise errors.Invalid(f"Validation failed: at most {MAX_REPORTED_STATUSES} statuses")
    status_ids = [parse_id(str(s)) for s in given]
    if any(i is None for i in status_ids):
        raise errors.Invalid("Validation failed: status_ids must be the reported account's "
                             "statuses")
    wanted = [i for i in status_ids if i is not None]
    if wanted:
        # Mastodon's ReportService looks the statuses up among the target's: one that is not
        # theirs (or is gone, or hidden from the reporter) is a 422, never silently dropped.
        found = await gw.hydrator.statuses(wanted)
        visible = {s.id for s in await gw.hydrator.visible(
            list(found.values()), await gw.viewer(caller))} if found else set()
        if any(i not in found or found[i].account_id != target_id or i not in visible
               for i in wanted):
            raise errors.Invalid("Validation failed: status_ids must be the reported "
                                 "account's statuses")
    made = await bus.call(gw.nc, graph_api.REPORT_CREATE, CreateReport(
        account_id=me.id, target_id=target_id, status_ids=wanted, comment=p.comment,
        category=p.category))
    target = await gw.hydrator.account(made.target_account_id)
    shaped = mastodon.account(target, gw.base_url) if target is not None else None
    return responses.json(report(made, shaped or {}))


ROUTES = [create_report]
