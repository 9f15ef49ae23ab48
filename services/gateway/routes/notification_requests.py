"""The notification filtering policy (Mastodon 4.3's v2 shape, and v1's) and the requests that
gather the notifications it filtered, one per sender: list, show, accept (merge them into the
list), dismiss."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.notifications import render_requests
from services.gateway.context import gateway_of
from services.gateway.presenters import notification_groups as presenter
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import notify as notify_api
from shared.ids import parse_id

ACTIONS = ("accept", "filter", "drop")


class PolicyParams(params.Params):
    for_not_following: str | None = None
    for_not_followers: str | None = None
    for_new_accounts: str | None = None
    for_private_mentions: str | None = None
    for_limited_accounts: str | None = None


class PolicyParamsV1(params.Params):
    filter_not_following: bool | None = None
    filter_not_followers: bool | None = None
    filter_new_accounts: bool | None = None
    filter_private_mentions: bool | None = None


def _checked(p: PolicyParams) -> dict[str, Any]:
    changes = {f: getattr(p, f) for f in notify_api.POLICY_FIELDS if getattr(p, f) is not None}
    wrong = [f for f, value in changes.items() if value not in ACTIONS]
    if wrong:
        raise errors.Invalid(
            f"Validation failed: {wrong[0]} must be one of {', '.join(ACTIONS)}",
            {f: [(errors.INVALID, "is invalid")] for f in wrong})
    return changes


async def _policy(request: Request[Any, Any, Any], changes: dict[str, Any] | None
                  ) -> notify_api.PolicyReply:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    if changes is None:
        return await bus.call(gw.nc, notify_api.POLICY_GET,
                              notify_api.GetPolicy(account_id=me.id))
    return await bus.call(gw.nc, notify_api.POLICY_SET,
                          notify_api.SetPolicy(account_id=me.id, **changes))


@get("/api/v2/notifications/policy", opt=needs("read:notifications"))
async def get_policy(request: Request[Any, Any, Any]) -> Response[Any]:
    return responses.json(presenter.policy_v2(await _policy(request, None)))


@patch("/api/v2/notifications/policy", opt=needs("write:notifications"))
async def update_policy(request: Request[Any, Any, Any]) -> Response[Any]:
    changes = _checked(await params.read(request, PolicyParams))
    return responses.json(presenter.policy_v2(await _policy(request, changes)))


@get("/api/v1/notifications/policy", opt=needs("read:notifications"))
async def get_policy_v1(request: Request[Any, Any, Any]) -> Response[Any]:
    return responses.json(presenter.policy_v1(await _policy(request, None)))


@patch("/api/v1/notifications/policy", opt=needs("write:notifications"))
async def update_policy_v1(request: Request[Any, Any, Any]) -> Response[Any]:
    """v1 says filter or not: true filters, false accepts."""
    p = await params.read(request, PolicyParamsV1)
    changes = {f"for_{name.removeprefix('filter_')}": "filter" if value else "accept"
               for name in ("filter_not_following", "filter_not_followers",
                            "filter_new_accounts", "filter_private_mentions")
               if (value := getattr(p, name)) is not None}
    return responses.json(presenter.policy_v1(await _policy(request, changes)))


class RequestsParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


@get("/api/v1/notifications/requests", opt=needs("read:notifications"))
async def list_requests(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, RequestsParams, body=False)
    reply = await bus.call(gw.nc, notify_api.REQUEST_LIST, notify_api.ListRequests(
        account_id=me.id, max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
        min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 80))))
    found = reply.requests
    headers = (responses.cursor_link_header(request, gw.base_url, found[0].id, found[-1].id)
               if found else {})
    return responses.json(await render_requests(gw, found, me.id), headers=headers)


@get("/api/v1/notifications/requests/merged", opt=needs("read:notifications"))
async def merged(request: Request[Any, Any, Any]) -> Response[Any]:
    """Whether accepted requests' notifications are in the list yet: they are merged before
    the accept answers, so always."""
    await gateway_of(request).user(request)
    return responses.json({"merged": True})


def _request_id(raw: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.NotFound("Record not found")
    return parsed


@get("/api/v1/notifications/requests/{request_id:str}", opt=needs("read:notifications"))
async def get_request(request: Request[Any, Any, Any], request_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    found = await bus.call(gw.nc, notify_api.REQUEST_GET, notify_api.GetRequest(
        account_id=me.id, id=_request_id(request_id)))
    shaped = await render_requests(gw, [found], me.id)
    if not shaped:
        raise errors.NotFound("Record not found")
    return responses.json(shaped[0])


async def _answer(request: Request[Any, Any, Any], ids: list[int], *, accept: bool) -> int:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    verb = notify_api.REQUEST_ACCEPT if accept else notify_api.REQUEST_DISMISS
    done = await bus.call(gw.nc, verb, notify_api.AnswerRequests(account_id=me.id, ids=ids))
    return done.count


@post("/api/v1/notifications/requests/{request_id:str}/accept",
      opt=needs("write:notifications"))
async def accept(request: Request[Any, Any, Any], request_id: FromPath[str]) -> Response[Any]:
    if not await _answer(request, [_request_id(request_id)], accept=True):
        raise errors.NotFound("Record not found")
    return responses.json({})


@post("/api/v1/notifications/requests/{request_id:str}/dismiss",
      opt=needs("write:notifications"))
async def dismiss(request: Request[Any, Any, Any], request_id: FromPath[str]) -> Response[Any]:
    if not await _answer(request, [_request_id(request_id)], accept=False):
        raise errors.NotFound("Record not found")
    return responses.json({})


class ManyParams(params.Params):
    id: list[str] = []


async def _many(request: Request[Any, Any, Any]) -> list[int]:
    """The ids given; ones that name nothing of the account's are skipped (Mastodon's bulk
    answers)."""
    p = await params.read(request, ManyParams)
    return [i for i in (parse_id(raw) for raw in p.id[:100]) if i is not None]


@post("/api/v1/notifications/requests/accept", opt=needs("write:notifications"))
async def accept_many(request: Request[Any, Any, Any]) -> Response[Any]:
    await _answer(request, await _many(request), accept=True)
    return responses.json({})


@post("/api/v1/notifications/requests/dismiss", opt=needs("write:notifications"))
async def dismiss_many(request: Request[Any, Any, Any]) -> Response[Any]:
    await _answer(request, await _many(request), accept=False)
    return responses.json({})


ROUTES = [get_policy, update_policy, get_policy_v1, update_policy_v1, list_requests, merged,
          get_request, accept, dismiss, accept_many, dismiss_many]
