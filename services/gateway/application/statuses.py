"""A status as its reader may see it: found, checked by the visibility policy, else 404."""

from __future__ import annotations

from typing import Any

from litestar import Request

from services.gateway import tokens
from services.gateway.context import Gateway, gateway_of
from shared import errors
from shared.ids import parse_id
from shared.records import StatusRecord


def status_id_or_404(raw: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.NotFound("Record not found")
    return parsed


async def visible_status(request: Request[Any, Any, Any], raw_id: str
                         ) -> tuple[Gateway, StatusRecord, int | None]:
    """The status if the caller may see it, else 404 (not 403: do not reveal it exists)."""
    gw = gateway_of(request)
    caller = await gw.caller(request)
    status = await find_visible(gw, caller, status_id_or_404(raw_id))
    if status is None:
        raise errors.NotFound("Record not found")
    return gw, status, caller.account_id if caller else None


async def find_visible(gw: Gateway, caller: tokens.Caller | None, status_id: int
                       ) -> StatusRecord | None:
    """The status if it exists and the caller may see it."""
    status = (await gw.hydrator.statuses([status_id])).get(status_id)
    if status is None:
        return None
    kept = await gw.hydrator.visible([status], await gw.viewer(caller))
    return status if kept else None
