"""Lists (Mastodon client API): CRUD, members, and each list's timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.timelines import PageParams, clamp, render_page
from services.gateway.context import Gateway, gateway_of
from services.gateway.presenters import mastodon
from services.gateway.presenters.lists import list_json
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts import lists as api
from shared.contracts.verb import Rep, Req, Verb
from shared.ids import parse_id
from shared.records import AccountRecord, list_key
from shared.timelines import reads

READ_LISTS = needs("read:lists")
WRITE_LISTS = needs("write:lists")


def id_or_404(raw: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.NotFound("Record not found")
    return parsed


class ListParams(params.Params):
    title: str
    replies_policy: str = "list"
    exclusive: bool = False


class MemberParams(params.Params):
    account_ids: list[str]


async def _call(request: Request[Any, Any, Any], verb: Verb[Req, Rep],
                payload: Callable[[int], Req]) -> tuple[Gateway, AccountRecord, Rep]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    return gw, me, await bus.call(gw.nc, verb, payload(me.id))


@get("/api/v1/lists", opt=READ_LISTS)
async def all_lists(request: Request[Any, Any, Any]) -> Response[Any]:
    _, _, reply = await _call(request, graph_api.LISTS_OWNED,
                              lambda me: api.OwnerLists(account_id=me))
    return responses.json([list_json(item) for item in reply.lists])


@post("/api/v1/lists", opt=WRITE_LISTS)
async def create_list(request: Request[Any, Any, Any]) -> Response[Any]:
    p = await params.read(request, ListParams)
    _, _, record = await _call(request, graph_api.LIST_SAVE, lambda me: api.SaveList(
        account_id=me, title=p.title, replies_policy=p.replies_policy, exclusive=p.exclusive))
    return responses.json(list_json(record))


@get("/api/v1/lists/{list_id:str}", opt=READ_LISTS)
async def one_list(request: Request[Any, Any, Any], list_id: FromPath[str]) -> Response[Any]:
    _, _, record = await _call(request, graph_api.LIST_GET, lambda me: api.ListRef(
        account_id=me, id=id_or_404(list_id)))
    return responses.json(list_json(record))


@put("/api/v1/lists/{list_id:str}", opt=WRITE_LISTS)
async def update_list(request: Request[Any, Any, Any], list_id: FromPath[str]) -> Response[Any]:
    p = await params.read(request, ListParams)
    _, _, record = await _call(request, graph_api.LIST_SAVE, lambda me: api.SaveList(
        account_id=me, id=id_or_404(list_id), title=p.title, replies_policy=p.replies_policy,
        exclusive=p.exclusive))
    return responses.json(list_json(record))


@delete("/api/v1/lists/{list_id:str}", status_code=200, opt=WRITE_LISTS)
async def delete_list(request: Request[Any, Any, Any], list_id: FromPath[str]) -> Response[Any]:
    await _call(request, graph_api.LIST_DELETE,
                lambda me: api.ListRef(account_id=me, id=id_or_404(list_id)))
    return responses.json({})


@get("/api/v1/lists/{list_id:str}/accounts", opt=READ_LISTS)
async def list_accounts(request: Request[Any, Any, Any], list_id: FromPath[str]) -> Response[Any]:
    gw, _, members = await _call(request, graph_api.LIST_MEMBERS, lambda me: api.ListRef(
        account_id=me, id=id_or_404(list_id)))
    accounts = await gw.hydrator.accounts(members.account_ids)
    return responses.json([mastodon.account(accounts[i], gw.base_url)
                           for i in members.account_ids if i in accounts])


async def _change_members(request: Request[Any, Any, Any], list_id: str,
                          verb: Verb[api.ListMembers, api.ListMembers]) -> Response[Any]:
    p = await params.read(request, MemberParams)
    ids = [i for i in (parse_id(r) for r in p.account_ids) if i is not None]
    await _call(request, verb, lambda me: api.ListMembers(account_id=me, id=id_or_404(list_id),
                                                          account_ids=ids))
    return responses.json({})


@post("/api/v1/lists/{list_id:str}/accounts", opt=WRITE_LISTS)
async def add_accounts(request: Request[Any, Any, Any], list_id: FromPath[str]) -> Response[Any]:
    return await _change_members(request, list_id, graph_api.LIST_ADD_MEMBERS)


@delete("/api/v1/lists/{list_id:str}/accounts", status_code=200, opt=WRITE_LISTS)
async def remove_accounts(request: Request[Any, Any, Any], list_id: FromPath[str]) -> Response[Any]:
    return await _change_members(request, list_id, graph_api.LIST_REMOVE_MEMBERS)


@get("/api/v1/accounts/{account_id:str}/lists", opt=READ_LISTS)
async def lists_with_account(request: Request[Any, Any, Any],
                             account_id: FromPath[str]) -> Response[Any]:
    _, _, reply = await _call(request, graph_api.LISTS_OWNED, lambda me: api.OwnerLists(
        account_id=me, member_id=id_or_404(account_id)))
    return responses.json([list_json(item) for item in reply.lists])


@get("/api/v1/timelines/list/{list_id:str}", opt=READ_LISTS)
async def list_timeline(request: Request[Any, Any, Any], list_id: FromPath[str]) -> Response[Any]:
    gw, me, record = await _call(request, graph_api.LIST_GET, lambda me: api.ListRef(
        account_id=me, id=id_or_404(list_id)))
    p = await params.read(request, PageParams, body=False)
    ids = await reads.page(gw.redis.lean, list_key(me.id, record.id), limit=clamp(p.limit),
                               max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                               min_id=parse_id(p.min_id))
    return await render_page(request, ids, me.id, context="home")  # lists: Mastodon's home


ROUTES = [all_lists, create_list, one_list, update_list, delete_list, list_accounts,
          add_accounts, remove_accounts, lists_with_account, list_timeline]
