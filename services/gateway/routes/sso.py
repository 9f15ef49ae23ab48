"""A network's identity provider (OpenID Connect single sign-on), for its admins:
``GET``/``PUT``/``DELETE /api/hubbub/v1/network/sso``. The admin role is checked by graph; the
gateway checks it first too before a PUT, since saving fetches the provider's discovery document
from the URL given, and only an admin may make the gateway fetch a URL. The client secret is
write-only: no answer carries it."""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Request, Response, delete, get, put

from services.gateway import oidc, params, responses
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts.sso import ConfigureSso, SsoSettings, SsoSettingsRequest

PATH = "/api/hubbub/v1/network/sso"


def sso_json(found: SsoSettings) -> dict[str, Any]:
    return {"issuer": found.issuer, "client_id": found.client_id,
            "email_claim": found.email_claim, "display_name": found.display_name,
            "required": found.required, "updated_at": mastodon.iso(found.updated_at)}


def _invalid(field: str, why: str) -> errors.Invalid:
    return errors.Invalid(f"Validation failed: {field} {why}",
                          {field: [(errors.INVALID, why)]})


@get(PATH, opt=needs("admin:read"))
async def get_sso(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    found = await bus.call(gw.nc, graph_api.SSO_GET, SsoSettingsRequest(account_id=me.id))
    return responses.json(sso_json(found))


class SsoParams(params.Params):
    issuer: str
    client_id: str
    display_name: str
    client_secret: str | None = None  # kept when not given (an update)
    email_claim: str = "email"
    required: bool = False


@put(PATH, opt=needs("admin:write"))
async def put_sso(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, SsoParams)
    network = await bus.call(gw.nc, graph_api.NETWORK_GET,
                             graph_api.NetworkRequest(account_id=me.id))
    if network.role not in ("owner", "admin"):  # the roles that administer (graph's roles.py)
        raise errors.Forbidden("Only the network's admins may do this")
    issuer = p.issuer.strip()
    problem = oidc.issuer_problem(issuer, gw.settings.sso_allow_http)
    if problem is not None:
        raise _invalid("issuer", problem)
    async with httpx.AsyncClient() as client:
        try:
            await oidc.discover(client, issuer, allow_http=gw.settings.sso_allow_http)
        except oidc.ProviderError as exc:
            raise _invalid("issuer", f"is not a usable OpenID provider: {exc}") from exc
    found = await bus.call(gw.nc, graph_api.SSO_CONFIGURE, ConfigureSso(
        account_id=me.id, issuer=issuer, client_id=p.client_id,
        client_secret=p.client_secret or None, email_claim=p.email_claim.strip(),
        display_name=p.display_name, required=p.required))
    return responses.json(sso_json(found))


@delete(PATH, status_code=200, opt=needs("admin:write"))
async def delete_sso(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    found = await bus.call(gw.nc, graph_api.SSO_REMOVE, SsoSettingsRequest(account_id=me.id))
    return responses.json(sso_json(found))


ROUTES = [get_sso, put_sso, delete_sso]
