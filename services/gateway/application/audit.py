"""Where an admin action came from, for graph's audit log: the client's address (the real one
behind trusted proxies: proxies.py, read by rate_limits.host_of) and the OAuth app of the
token. Every route that asks graph to change something as an admin passes it along."""

from __future__ import annotations

from typing import Any

from litestar import Request

from services.gateway import tokens
from services.gateway.rate_limits import host_of
from shared.contracts.network_admin import AuditContext


def audit_context(request: Request[Any, Any, Any], caller: tokens.Caller) -> AuditContext:
    return AuditContext(ip=host_of(request), app_id=caller.app_id,
                        app_name=caller.app_name or None)
