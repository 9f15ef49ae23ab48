"""SCIM 2.0 (RFC 7644) at /scim/v2 for a network's directory (Entra ID, Okta, ...): Users are
the network's accounts, Groups its communities made through SCIM. Every request carries a SCIM
token a network admin made (routes/scim_tokens.py), never an OAuth token: a missing, wrong or
revoked one is a 401 in SCIM's error shape. The token names the network; another network's
users and groups are 404, as if they did not exist."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, delete, get, patch, post, put, route
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath

from services.gateway import tokens as oauth_tokens
from services.gateway.context import bearer_token, gateway_of
from services.gateway.scim import discovery, filters, resources
from services.gateway.scim import errors as scim_errors
from services.gateway.scim import patch as scim_patch
from services.gateway.scim.errors import ScimError, invalid_syntax, invalid_value
from services.gateway.scopes import SCIM_TOKEN
from services.gateway.store import tokens as token_store
from shared import bus
from shared.contracts import graph as graph_api
from shared.contracts import scim as scim_api

PREFIX = "/scim/v2"
STATE = "scim_client"
DEFAULT_COUNT = 100
_decoder = msgspec.json.Decoder()


async def scim_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
                     ) -> None:
    """The SCIM token: 401 unless it is a live one; the network it names, for the handler."""
    token = bearer_token(connection)
    if not token:
        raise ScimError(401, "A SCIM bearer token is required")
    gw = gateway_of(connection)
    client = await bus.call(gw.nc, graph_api.SCIM_TOKEN_CHECK,
                            scim_api.CheckScimToken(token_hash=oauth_tokens.digest(token)))
    connection.state[STATE] = client


# Every SCIM route: no OAuth scope (scopes.SCIM_TOKEN), this guard, SCIM's error bodies.
SCIM: dict[str, Any] = {"opt": SCIM_TOKEN, "guards": [scim_guard],
                        "exception_handlers": scim_errors.HANDLERS}


def client_of(request: Request[Any, Any, Any]) -> scim_api.ScimClient:
    client: scim_api.ScimClient = request.state[STATE]
    return client


def base_of(request: Request[Any, Any, Any]) -> str:
    return gateway_of(request).base_url + PREFIX


async def body_of(request: Request[Any, Any, Any]) -> Any:
    raw = await request.body()
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise invalid_syntax("The body is not JSON") from exc


def _int(request: Request[Any, Any, Any], name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise invalid_value(f"{name} must be an integer") from exc


def _query(request: Request[Any, Any, Any], supported: dict[str, str]) -> scim_api.ScimQuery:
    attribute, value = filters.parse(request.query_params.get("filter"), supported)
    return scim_api.ScimQuery(
        network_id=client_of(request).network_id, attribute=attribute, value=value,
        start_index=max(1, _int(request, "startIndex", 1)),
        count=max(0, min(_int(request, "count", DEFAULT_COUNT), discovery.MAX_RESULTS)))


def _shown(request: Request[Any, Any, Any], resource: dict[str, Any], names: dict[str, str]
           ) -> dict[str, Any]:
    q = request.query_params
    return resources.project(resource, q.get("attributes"), q.get("excludedAttributes"), names)


def _one(request: Request[Any, Any, Any], resource: dict[str, Any], names: dict[str, str],
         status: int = 200) -> Response[bytes]:
    return scim_errors.body(_shown(request, resource, names), status, {
        "ETag": resource["meta"]["version"], "Location": resource["meta"]["location"]})


def _if_match(request: Request[Any, Any, Any]) -> int | None:
    """The version an If-Match names (W/"3"), for a change that must not overwrite another."""
    raw = request.headers.get("if-match")
    if not raw or raw.strip() == "*":
        return None
    digits = raw.strip().removeprefix("W/").strip('"')
    return int(digits) if digits.isdigit() else -1


# --- discovery ----------------------------------------------------------------------------------

@get(PREFIX + "/ServiceProviderConfig", **SCIM)
async def service_provider_config(request: Request[Any, Any, Any]) -> Response[bytes]:
    return scim_errors.body(discovery.service_provider_config(base_of(request)))


@get(PREFIX + "/Schemas", **SCIM)
async def schemas(request: Request[Any, Any, Any]) -> Response[bytes]:
    found = discovery.schemas(base_of(request))
    return scim_errors.body(discovery.list_response(found, len(found), 1))


@get(PREFIX + "/Schemas/{schema_id:str}", **SCIM)
async def schema(request: Request[Any, Any, Any], schema_id: FromPath[str]) -> Response[bytes]:
    for found in discovery.schemas(base_of(request)):
        if found["id"] == schema_id:
            return scim_errors.body(found)
    raise ScimError(404, "Resource not found")


@get(PREFIX + "/ResourceTypes", **SCIM)
async def resource_types(request: Request[Any, Any, Any]) -> Response[bytes]:
    found = discovery.resource_types(base_of(request))
    return scim_errors.body(discovery.list_response(found, len(found), 1))


@get(PREFIX + "/ResourceTypes/{type_id:str}", **SCIM)
async def resource_type(request: Request[Any, Any, Any], type_id: FromPath[str]
                        ) -> Response[bytes]:
    for found in discovery.resource_types(base_of(request)):
        if found["id"] == type_id:
            return scim_errors.body(found)
    raise ScimError(404, "Resource not found")


# --- users --------------------------------------------------------------------------------------

async def _offboard_if_deactivated(request: Request[Any, Any, Any], user: scim_api.ScimUser
                                   ) -> None:
    """A deactivated account's OAuth tokens are revoked, not just refused while it is
    deactivated: reactivating it later lets none of them back in."""
    if not user.deactivated:
        return
    gw = gateway_of(request)
    for token_hash in await token_store.revoke_account_tokens(gw.pool, user.id):
        await gw.forget_token(token_hash)


def _user(request: Request[Any, Any, Any], user: scim_api.ScimUser, status: int = 200
          ) -> Response[bytes]:
    return _one(request, resources.user_json(user, base_of(request)), resources.USER_NAMES,
                status)


@post(PREFIX + "/Users", **SCIM, status_code=201)
async def create_user(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = resources.require_schema(await body_of(request), discovery.USER)
    gw = gateway_of(request)
    made = await bus.call(gw.nc, graph_api.SCIM_USER_CREATE, scim_api.CreateScimUser(
        network_id=client_of(request).network_id, fields=resources.user_fields(body)))
    await _offboard_if_deactivated(request, made)
    return _user(request, made, 201)


@get(PREFIX + "/Users", **SCIM)
async def list_users(request: Request[Any, Any, Any]) -> Response[bytes]:
    query = _query(request, filters.USER_FILTERS)
    found = await bus.call(gateway_of(request).nc, graph_api.SCIM_USER_LIST, query)
    base = base_of(request)
    shaped = [_shown(request, resources.user_json(u, base), resources.USER_NAMES)
              for u in found.users]
    return scim_errors.body(discovery.list_response(shaped, found.total, query.start_index))


async def _get_user(request: Request[Any, Any, Any], user_id: str) -> scim_api.ScimUser:
    return await bus.call(gateway_of(request).nc, graph_api.SCIM_USER_GET, scim_api.ScimRef(
        network_id=client_of(request).network_id, id=resources.check_id(user_id)))


@get(PREFIX + "/Users/{user_id:str}", **SCIM)
async def get_user(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[bytes]:
    return _user(request, await _get_user(request, user_id))


async def _replace_user(request: Request[Any, Any, Any], user_id: int,
                        fields: scim_api.UserFields, version: int | None) -> Response[bytes]:
    changed = await bus.call(gateway_of(request).nc, graph_api.SCIM_USER_REPLACE,
                             scim_api.ReplaceScimUser(network_id=client_of(request).network_id,
                                                      id=user_id, fields=fields,
                                                      version=version))
    await _offboard_if_deactivated(request, changed)
    return _user(request, changed)


@put(PREFIX + "/Users/{user_id:str}", **SCIM)
async def replace_user(request: Request[Any, Any, Any], user_id: FromPath[str]
                       ) -> Response[bytes]:
    target = resources.check_id(user_id)
    body = resources.require_schema(await body_of(request), discovery.USER)
    return await _replace_user(request, target, resources.user_fields(body),
                               _if_match(request))


@patch(PREFIX + "/Users/{user_id:str}", **SCIM)
async def patch_user(request: Request[Any, Any, Any], user_id: FromPath[str]
                     ) -> Response[bytes]:
    body = await body_of(request)
    current = await _get_user(request, user_id)
    shaped = resources.user_json(current, base_of(request))
    changed = scim_patch.apply(shaped, body, resources.USER_NAMES)
    # The version read is the one changed: a concurrent change makes this one a 412, not a
    # silent overwrite.
    return await _replace_user(request, current.id, resources.user_fields(changed),
                               _if_match(request) or current.version)


@delete(PREFIX + "/Users/{user_id:str}", **SCIM, status_code=204)
async def delete_user(request: Request[Any, Any, Any], user_id: FromPath[str]) -> None:
    gw = gateway_of(request)
    target = resources.check_id(user_id)
    await bus.call(gw.nc, graph_api.SCIM_USER_DELETE, scim_api.ScimRef(
        network_id=client_of(request).network_id, id=target))
    for token_hash in await token_store.revoke_account_tokens(gw.pool, target):
        await gw.forget_token(token_hash)


# --- groups -------------------------------------------------------------------------------------

def _with_display(request: Request[Any, Any, Any]) -> bool:
    return "members.display" in (request.query_params.get("attributes") or "").lower()


def _group(request: Request[Any, Any, Any], group: scim_api.ScimGroup, status: int = 200
           ) -> Response[bytes]:
    return _one(request, resources.group_json(group, base_of(request),
                                              display=_with_display(request)),
                resources.GROUP_NAMES, status)


@post(PREFIX + "/Groups", **SCIM, status_code=201)
async def create_group(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = resources.require_schema(await body_of(request), discovery.GROUP)
    client = client_of(request)
    made = await bus.call(gateway_of(request).nc, graph_api.SCIM_GROUP_CREATE,
                          scim_api.CreateScimGroup(network_id=client.network_id,
                                                   token_id=client.token_id,
                                                   fields=resources.group_fields(body)))
    return _group(request, made, 201)


@get(PREFIX + "/Groups", **SCIM)
async def list_groups(request: Request[Any, Any, Any]) -> Response[bytes]:
    query = _query(request, filters.GROUP_FILTERS)
    found = await bus.call(gateway_of(request).nc, graph_api.SCIM_GROUP_LIST, query)
    base = base_of(request)
    display = _with_display(request)
    shaped = [_shown(request, resources.group_json(g, base, display=display),
                     resources.GROUP_NAMES)
              for g in found.groups]
    return scim_errors.body(discovery.list_response(shaped, found.total, query.start_index))


async def _get_group(request: Request[Any, Any, Any], group_id: str) -> scim_api.ScimGroup:
    return await bus.call(gateway_of(request).nc, graph_api.SCIM_GROUP_GET, scim_api.ScimRef(
        network_id=client_of(request).network_id, id=resources.check_id(group_id)))


@get(PREFIX + "/Groups/{group_id:str}", **SCIM)
async def get_group(request: Request[Any, Any, Any], group_id: FromPath[str]
                    ) -> Response[bytes]:
    return _group(request, await _get_group(request, group_id))


async def _replace_group(request: Request[Any, Any, Any], group_id: int,
                         fields: scim_api.GroupFields, version: int | None
                         ) -> Response[bytes]:
    changed = await bus.call(gateway_of(request).nc, graph_api.SCIM_GROUP_REPLACE,
                             scim_api.ReplaceScimGroup(
                                 network_id=client_of(request).network_id, id=group_id,
                                 fields=fields, version=version))
    return _group(request, changed)


@put(PREFIX + "/Groups/{group_id:str}", **SCIM)
async def replace_group(request: Request[Any, Any, Any], group_id: FromPath[str]
                        ) -> Response[bytes]:
    target = resources.check_id(group_id)
    body = resources.require_schema(await body_of(request), discovery.GROUP)
    return await _replace_group(request, target, resources.group_fields(body),
                                _if_match(request))


@patch(PREFIX + "/Groups/{group_id:str}", **SCIM)
async def patch_group(request: Request[Any, Any, Any], group_id: FromPath[str]
                      ) -> Response[bytes]:
    body = await body_of(request)
    current = await _get_group(request, group_id)
    shaped = resources.group_json(current, base_of(request))
    changed = scim_patch.apply(shaped, body, resources.GROUP_NAMES)
    return await _replace_group(request, current.id, resources.group_fields(changed),
                                _if_match(request) or current.version)


@delete(PREFIX + "/Groups/{group_id:str}", **SCIM, status_code=204)
async def delete_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> None:
    await bus.call(gateway_of(request).nc, graph_api.SCIM_GROUP_DELETE, scim_api.ScimRef(
        network_id=client_of(request).network_id, id=resources.check_id(group_id)))


@post(PREFIX + "/.search", **SCIM)
async def search_all(request: Request[Any, Any, Any]) -> Response[bytes]:
    raise ScimError(501, "Searching several resource types at once is not supported")


@route(PREFIX + "/{rest:path}", http_method=["GET", "POST", "PUT", "PATCH", "DELETE"], **SCIM)
async def unknown(request: Request[Any, Any, Any], rest: FromPath[str]) -> Response[bytes]:
    raise ScimError(404, "Resource not found")


ROUTES = [service_provider_config, schemas, schema, resource_types, resource_type,
          create_user, list_users, get_user, replace_user, patch_user, delete_user,
          create_group, list_groups, get_group, replace_group, patch_group, delete_group,
          search_all, unknown]
