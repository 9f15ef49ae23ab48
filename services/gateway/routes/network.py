"""Hubbub's networks (a company's space, by e-mail domain): what the signed-in member's network
is and who is in it; for its owners and admins, its name, invitation-only registration, the apps
allowed the OAuth password grant, invitations, members' roles and the audit log; for them and
its moderators, deactivating members. Roles are checked by the graph service, not here; the
admin routes also need a token granted admin scopes (admin:write, or its granular
admin:write:accounts; admin:read for the audit log), so an app holding plain ``write`` cannot
administer the network even when its user is an admin. Each admin change carries where it came
from (address, app) to graph's audit log."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.audit import audit_context
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.presenters.networks import audit_entry, member, network
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts import network_admin as admin_api
from shared.ids import parse_id

PREFIX = "/api/hubbub/v1/network"


@get(PREFIX, opt=needs("read"))
async def get_network(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    found = await bus.call(gw.nc, graph_api.NETWORK_GET,
                           graph_api.NetworkRequest(account_id=me.id))
    return responses.json(network(found))


class UpdateNetworkParams(params.Params):
    name: str | None = None
    invitation_only: bool | None = None
    password_grant_apps: list[str] | None = None


@patch(PREFIX, opt=needs("admin:write"))
async def update_network(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    p = await params.read(request, UpdateNetworkParams)
    found = await bus.call(gw.nc, graph_api.NETWORK_UPDATE, graph_api.UpdateNetwork(
        account_id=me.id, name=p.name, invitation_only=p.invitation_only,
        password_grant_apps=p.password_grant_apps, audit=audit_context(request, caller)))
    return responses.json(network(found))


class PageParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


@get(f"{PREFIX}/members", opt=needs("read:accounts"))
async def members(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, PageParams, body=False)
    page = graph_api.IdPage(max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                            min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 80)))
    reply = await bus.call(gw.nc, graph_api.NETWORK_MEMBERS,
                           graph_api.NetworkMembersPage(account_id=me.id, page=page))
    shaped = [mastodon.account(a, gw.base_url) for a in reply.accounts]
    return responses.json(shaped, headers=responses.link_header(request, gw.base_url, shaped))


class InvitationParams(params.Params):
    email: str


@post(f"{PREFIX}/invitations", opt=needs("admin:write:accounts"))
async def invite(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    p = await params.read(request, InvitationParams)
    made = await bus.call(gw.nc, graph_api.NETWORK_INVITE, graph_api.CreateInvitation(
        account_id=me.id, email=p.email, audit=audit_context(request, caller)))
    # The code is shown this once: the graph keeps only its digest.
    return responses.json({
        "id": str(made.id), "email": made.email, "invite_code": made.invite_code,
        "url": f"{gw.base_url}/invite/{quote(made.invite_code)}",
        "created_at": mastodon.iso(made.created_at)})


@post(f"{PREFIX}/accounts/{{account_id:str}}/deactivate", status_code=200,
      opt=needs("admin:write:accounts"))
async def deactivate(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    target_id = parse_id(account_id)
    if target_id is None:
        raise errors.NotFound("Record not found")
    account = await bus.call(gw.nc, graph_api.NETWORK_DEACTIVATE, graph_api.DeactivateAccount(
        account_id=me.id, target_id=target_id, audit=audit_context(request, caller)))
    return responses.json(mastodon.account(account, gw.base_url))


class RoleParams(params.Params):
    role: str  # which ones exist, and who may give them, is graph's to say


@patch(f"{PREFIX}/members/{{account_id:str}}", opt=needs("admin:write:accounts"))
async def set_role(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    target_id = parse_id(account_id)
    if target_id is None:
        raise errors.NotFound("Record not found")
    p = await params.read(request, RoleParams)
    account = await bus.call(gw.nc, graph_api.NETWORK_SET_ROLE, admin_api.SetNetworkRole(
        account_id=me.id, target_id=target_id, role=p.role,
        audit=audit_context(request, caller)))
    return responses.json(member(account, gw.base_url))


@get(f"{PREFIX}/audit", opt=needs("admin:read"))
async def audit_log(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, PageParams, body=False)
    reply = await bus.call(gw.nc, graph_api.NETWORK_AUDIT, admin_api.AuditPage(
        account_id=me.id, max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
        min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 80))))
    accounts = {a.id: a for a in reply.accounts}
    shaped = [audit_entry(e, accounts, gw.base_url) for e in reply.entries]
    return responses.json(shaped, headers=responses.link_header(request, gw.base_url, shaped))


ROUTES = [get_network, update_network, members, invite, deactivate, set_role, audit_log]
