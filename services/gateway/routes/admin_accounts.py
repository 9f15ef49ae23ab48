"""Mastodon's admin API for accounts (/api/v1/admin/accounts, v2's list), for a network's
moderators, admins and owners, on their own network only (another network's account: 404).
Roles are checked by graph; the token needs Mastodon's ``admin:read:accounts`` or
``admin:write:accounts`` (or ``admin:read`` / ``admin:write``). Approval and rejection reuse the
network's approval queue (#14: services/graph/use_cases/approvals.py, its admins only)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.audit import audit_context
from services.gateway.context import gateway_of
from services.gateway.presenters.moderation import admin_account
from services.gateway.scopes import needs, per_param
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts import membership as membership_api
from shared.contracts.moderation import (
    ACCOUNT_STATUSES,
    DELETE,
    UNDOS,
    AccountAction,
    AdminAccountQuery,
)
from shared.contracts.moderation import AdminAccountRef as Ref
from shared.ids import parse_id

V1 = "/api/v1/admin/accounts"
V2 = "/api/v2/admin/accounts"
DEFAULT_LIMIT, MAX_LIMIT = 100, 200
# Mastodon's default role ids (presenters/mastodon.role) back to Hubbub's network roles;
# "-99", Mastodon's everyone, is a member or a guest.
ROLE_IDS = {"3": ["owner"], "2": ["admin"], "1": ["moderator"], "-99": ["member", "guest"]}
WRITE = needs("admin:write:accounts")


class PageParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = DEFAULT_LIMIT
    username: str | None = None
    display_name: str | None = None
    email: str | None = None
    by_domain: str | None = None
    ip: str | None = None  # Hubbub keeps no sign-up addresses: ignored


class V1Params(PageParams):
    local: bool = False
    remote: bool = False
    active: bool = False
    pending: bool = False
    disabled: bool = False
    silenced: bool = False
    suspended: bool = False
    sensitized: bool = False
    staff: bool = False


class V2Params(PageParams):
    origin: str | None = None
    status: str | None = None
    permissions: str | None = None
    role_ids: list[str] = []
    role: str | None = None  # Hubbub: a network role by name (owner ... guest)


async def _page(request: Request[Any, Any, Any], p: PageParams, **filters: Any
                ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    reply = await bus.call(gw.nc, graph_api.ADMIN_ACCOUNTS, AdminAccountQuery(
        account_id=me.id, username=p.username, display_name=p.display_name, email=p.email,
        by_domain=p.by_domain, max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
        min_id=parse_id(p.min_id), limit=max(1, min(p.limit, MAX_LIMIT)), **filters))
    shaped = [admin_account(a, gw.base_url) for a in reply.accounts]
    return responses.json(shaped, headers=responses.link_header(request, gw.base_url, shaped))


@get(V1, opt=needs("admin:read:accounts"))
async def list_v1(request: Request[Any, Any, Any]) -> Response[Any]:
    p = await params.read(request, V1Params, body=False)
    # v1's booleans, as Mastodon's AccountFilter reads them: the first that is set.
    status = next((s for s in ACCOUNT_STATUSES if getattr(p, s)), None)
    return await _page(request, p, status=status, remote=p.remote and not p.local,
                       staff=p.staff, sensitized=True if p.sensitized else None)


@get(V2, opt=needs("admin:read:accounts"))
async def list_v2(request: Request[Any, Any, Any]) -> Response[Any]:
    p = await params.read(request, V2Params, body=False)
    if p.origin not in (None, "", "local", "remote"):
        raise errors.Invalid("Validation failed: origin must be local or remote")
    if p.status not in (None, "", *ACCOUNT_STATUSES):
        raise errors.Invalid(f"Validation failed: status must be one of "
                             f"{', '.join(ACCOUNT_STATUSES)}")
    if any(r not in ROLE_IDS for r in p.role_ids):
        raise errors.Invalid("Validation failed: role_ids are unknown roles")
    roles = [name for r in p.role_ids for name in ROLE_IDS[r]]
    if p.role:
        roles.append(p.role)  # checked by graph
    return await _page(request, p, status=p.status or None, roles=roles,
                       remote=p.origin == "remote", staff=p.permissions == "staff")


def _target(account_id: str) -> int:
    target = parse_id(account_id)
    if target is None:
        raise errors.NotFound("Record not found")
    return target


@get(f"{V1}/{{account_id:str}}", opt=needs("admin:read:accounts"))
async def get_account(request: Request[Any, Any, Any], account_id: FromPath[str]
                      ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    found = await bus.call(gw.nc, graph_api.ADMIN_ACCOUNT_GET,
                           Ref(account_id=me.id, target_id=_target(account_id)))
    return responses.json(admin_account(found, gw.base_url))


class ActionParams(params.Params):
    type: str = "none"
    report_id: str | int | None = None
    text: str = ""
    warning_preset_id: str | None = None  # Hubbub has no warning presets: ignored
    send_email_notification: bool = True  # ignored: the account is not mailed


@post(f"{V1}/{{account_id:str}}/{{action:str}}", status_code=200, opt=per_param("action", {
    "action": WRITE, "approve": WRITE, "reject": WRITE, "enable": WRITE, "unsilence": WRITE,
    "unsuspend": WRITE, "unsensitive": WRITE}))
async def act(request: Request[Any, Any, Any], account_id: FromPath[str],
              action: FromPath[str]) -> Response[Any]:
    verb = action  # "action" itself is one of them (Mastodon's POST .../:id/action)
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    target = _target(account_id)
    audit = audit_context(request, caller)
    if verb in ("approve", "reject"):
        decided = {"approve": graph_api.NETWORK_REQUEST_APPROVE,
                   "reject": graph_api.NETWORK_REQUEST_REJECT}[verb]
        await bus.call(gw.nc, decided, membership_api.ApprovalDecision(
            account_id=me.id, target_id=target, audit=audit))
        found = await bus.call(gw.nc, graph_api.ADMIN_ACCOUNT_GET,
                               Ref(account_id=me.id, target_id=target))
        return responses.json(admin_account(found, gw.base_url))
    if verb == "action":
        p = await params.read(request, ActionParams)
        report_id = parse_id(str(p.report_id)) if p.report_id else None
        if p.report_id and report_id is None:
            raise errors.NotFound("Record not found")
        await bus.call(gw.nc, graph_api.ADMIN_ACCOUNT_ACTION, AccountAction(
            account_id=me.id, target_id=target, type=p.type, report_id=report_id,
            text=p.text, audit=audit))
        return responses.json({})  # Mastodon answers the action with an empty object
    if verb not in UNDOS:
        raise errors.NotFound("Record not found")
    found = await bus.call(gw.nc, graph_api.ADMIN_ACCOUNT_ACTION, AccountAction(
        account_id=me.id, target_id=target, type=verb, audit=audit))
    return responses.json(admin_account(found, gw.base_url))


@delete(f"{V1}/{{account_id:str}}", status_code=200, opt=WRITE)
async def delete_account(request: Request[Any, Any, Any], account_id: FromPath[str]
                         ) -> Response[Any]:
    """A suspended account only (403 otherwise, as Mastodon): deactivated for good."""
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    found = await bus.call(gw.nc, graph_api.ADMIN_ACCOUNT_ACTION, AccountAction(
        account_id=me.id, target_id=_target(account_id), type=DELETE,
        audit=audit_context(request, caller)))
    return responses.json(admin_account(found, gw.base_url))


ROUTES = [list_v1, list_v2, get_account, act, delete_account]
