"""A network's SCIM tokens, for its admins: make one for the directory (shown this once: graph
keeps its digest), list them (label, when made, when last used), revoke one. The role is
checked by graph; the token must also hold admin scopes."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts import scim as scim_api
from shared.ids import parse_id

PATH = "/api/hubbub/v1/network/scim_tokens"


def _shown(token: scim_api.ScimToken) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "id": str(token.id), "label": token.label,
        "created_at": mastodon.iso(token.created_at),
        "last_used_at": mastodon.iso(token.last_used_at)}
    if token.token is not None:
        shaped["token"] = token.token
    return shaped


class TokenParams(params.Params):
    label: str = ""


@post(PATH, opt=needs("admin:write"))
async def create_scim_token(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, TokenParams)
    made = await bus.call(gw.nc, graph_api.SCIM_TOKEN_CREATE,
                          scim_api.CreateScimToken(account_id=me.id, label=p.label))
    return responses.json(_shown(made))


@get(PATH, opt=needs("admin:read"))
async def list_scim_tokens(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    found = await bus.call(gw.nc, graph_api.SCIM_TOKEN_LIST,
                           scim_api.ScimTokensOf(account_id=me.id))
    return responses.json([_shown(t) for t in found.tokens])


@delete(f"{PATH}/{{token_id:str}}", status_code=200, opt=needs("admin:write"))
async def revoke_scim_token(request: Request[Any, Any, Any], token_id: FromPath[str]
                            ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    target = parse_id(token_id)
    if target is None:
        raise errors.NotFound("Record not found")
    await bus.call(gw.nc, graph_api.SCIM_TOKEN_REVOKE,
                   scim_api.RevokeScimToken(account_id=me.id, token_id=target))
    return responses.json({})


ROUTES = [create_scim_token, list_scim_tokens, revoke_scim_token]
