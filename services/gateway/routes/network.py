"""Hubbub's networks (a company's space, by e-mail domain): what the signed-in member's network
is and who is in it; for its admins, its name, invitation-only registration, the apps allowed
the OAuth password grant, invitations and deactivating members. Admin rights are checked by the
graph service, not here; the admin routes also need a token an admin granted admin scopes to
(admin:write, or its granular admin:write:accounts), so an app holding plain ``write`` cannot
administer the network even when its user is an admin."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.presenters.networks import network
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
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
    _, me = await gw.user(request)
    p = await params.read(request, UpdateNetworkParams)
    found = await bus.call(gw.nc, graph_api.NETWORK_UPDATE, graph_api.UpdateNetwork(
        account_id=me.id, name=p.name, invitation_only=p.invitation_only,
        password_grant_apps=p.password_grant_apps))
    return responses.json(network(found))


class MembersParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


@get(f"{PREFIX}/members", opt=needs("read:accounts"))
async def members(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, MembersParams, body=False)
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
    _, me = await gw.user(request)
    p = await params.read(request, InvitationParams)
    made = await bus.call(gw.nc, graph_api.NETWORK_INVITE,
                          graph_api.CreateInvitation(account_id=me.id, email=p.email))
    # The code is shown this once: the graph keeps only its digest.
    return responses.json({
        "id": str(made.id), "email": made.email, "invite_code": made.invite_code,
        "url": f"{gw.base_url}/invite/{quote(made.invite_code)}",
        "created_at": mastodon.iso(made.created_at)})


@post(f"{PREFIX}/accounts/{{account_id:str}}/deactivate", status_code=200,
      opt=needs("admin:write:accounts"))
async def deactivate(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    target_id = parse_id(account_id)
    if target_id is None:
        raise errors.NotFound("Record not found")
    account = await bus.call(gw.nc, graph_api.NETWORK_DEACTIVATE,
                             graph_api.DeactivateAccount(account_id=me.id,
                                                         target_id=target_id))
    return responses.json(mastodon.account(account, gw.base_url))


ROUTES = [get_network, update_network, members, invite, deactivate]
