"""Blocks, mutes, follow requests and removing followers (Mastodon client API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.context import Gateway, gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import needs, per_param
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts.verb import Req, Verb
from shared.ids import parse_id

# Mastodon action -> graph verb taking an AccountPair (account_id acts on target_id).
PAIR_ACTIONS: dict[str, Verb[graph_api.AccountPair, graph_api.Relationship]] = {
    "block": graph_api.BLOCK_ADD,
    "unblock": graph_api.BLOCK_REMOVE,
    "unmute": graph_api.MUTE_REMOVE,
    "remove_from_followers": graph_api.FOLLOWER_REMOVE,
}
FOLLOW_REQUEST_ANSWERS = {
    "authorize": graph_api.FOLLOW_REQUEST_AUTHORIZE,
    "reject": graph_api.FOLLOW_REQUEST_REJECT,
}
# Each action's scope, as Mastodon's controllers ask (the legacy ``follow`` grants all three).
ACCOUNT_ACTIONS = per_param("action", {
    "block": needs("write:blocks"), "unblock": needs("write:blocks"),
    "mute": needs("write:mutes"), "unmute": needs("write:mutes"),
    "remove_from_followers": needs("write:follows"),
})


def account_id_or_404(raw: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.NotFound("Record not found")
    return parsed


# Actions that end a relation, and the flag that says it is there: allowed on an account the
# reader no longer sees (a guest who left the shared community) while there is one to end.
UNDOING: dict[str, Callable[[graph_api.Relationship], bool]] = {
    "unblock": lambda r: r.blocking,
    "unmute": lambda r: r.muting,
    "remove_from_followers": lambda r: r.followed_by,
}


async def _target_or_404(gw: Gateway, me: int, raw: str, action: str) -> int:
    """The target's id if the reader may see it, else 404 exactly as for an unknown id: the
    answer (and its relationship flags) must not tell that another network's account exists."""
    target = account_id_or_404(raw)
    if target in await gw.visible_accounts(me, [target]):
        return target
    ends = UNDOING.get(action)
    if ends is not None:
        reply = await bus.call(gw.nc, graph_api.RELATIONSHIPS,
                               graph_api.GetRelationships(account_id=me, ids=[target]))
        if any(ends(r) for r in reply.relationships):
            return target
    raise errors.NotFound("Record not found")


class MuteParams(params.Params):
    notifications: bool = True
    duration: int = 0


async def _relationship(request: Request[Any, Any, Any], verb: Verb[Req, graph_api.Relationship],
                        payload: Req) -> Response[Any]:
    gw = gateway_of(request)
    rel = await bus.call(gw.nc, verb, payload)
    return responses.json(mastodon.relationship(rel))


@post("/api/v1/accounts/{account_id:str}/{action:str}", opt=ACCOUNT_ACTIONS)
async def act_on_account(request: Request[Any, Any, Any], account_id: FromPath[str],
                         action: FromPath[str]
                         ) -> Response[Any]:
    gw = gateway_of(request)
    if action not in (*PAIR_ACTIONS, "mute"):
        raise errors.NotFound("Record not found")
    _, me = await gw.user(request)
    target = await _target_or_404(gw, me.id, account_id, action)
    if action == "mute":
        p = await params.read(request, MuteParams)
        return await _relationship(request, graph_api.MUTE_ADD, graph_api.Mute(
            account_id=me.id, target_id=target, notifications=p.notifications,
            duration=p.duration))
    return await _relationship(request, PAIR_ACTIONS[action],
                               graph_api.AccountPair(account_id=me.id, target_id=target))


class PageParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


async def _accounts_page(request: Request[Any, Any, Any],
                         verb: Verb[graph_api.RelationPage, graph_api.RelationItems]
                         ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, PageParams, body=False)
    page = await bus.call(gw.nc, verb, graph_api.RelationPage(
        account_id=me.id, max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
        min_id=parse_id(p.min_id), limit=p.limit))
    accounts = await gw.hydrator.accounts([item.account_id for item in page.items])
    shaped = [mastodon.account(accounts[i.account_id], gw.base_url)
              for i in page.items if i.account_id in accounts]
    headers = (responses.cursor_link_header(request, gw.base_url, page.items[0].cursor,
                                            page.items[-1].cursor) if page.items else {})
    return responses.json(shaped, headers=headers)


@get("/api/v1/blocks", opt=needs("read:blocks"))
async def blocks(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _accounts_page(request, graph_api.BLOCKS_LIST)


@get("/api/v1/mutes", opt=needs("read:mutes"))
async def mutes(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _accounts_page(request, graph_api.MUTES_LIST)


@get("/api/v1/follow_requests", opt=needs("read:follows"))
async def follow_requests(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _accounts_page(request, graph_api.FOLLOW_REQUESTS_LIST)


@post("/api/v1/follow_requests/{account_id:str}/{answer:str}", opt=needs("write:follows"))
async def answer_follow_request(request: Request[Any, Any, Any], account_id: FromPath[str],
                                answer: FromPath[str]) -> Response[Any]:
    if answer not in FOLLOW_REQUEST_ANSWERS:
        raise errors.NotFound("Record not found")
    gw = gateway_of(request)
    _, me = await gw.user(request)
    verb = FOLLOW_REQUEST_ANSWERS[answer]
    return await _relationship(request, verb, graph_api.AccountPair(
        account_id=me.id, target_id=account_id_or_404(account_id)))


ROUTES = [act_on_account, blocks, mutes, follow_requests, answer_follow_request]
