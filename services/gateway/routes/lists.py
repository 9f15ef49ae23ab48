"""Lists (Mastodon client API): CRUD, members, and each list's timeline."""

from __future__ import annotations

from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath

from services.gateway import mastodon, params, responses
from services.gateway.context import gateway_of
from services.gateway.routes.timelines import PageParams, clamp, render_page
from shared import bus, errors
from shared.contracts import lists as api
from shared.ids import parse_id
from shared.records import list_key
from shared.timelines import reads


def list_json(record: api.ListRecord) -> dict:
    return {"id": str(record.id), "title": record.title,
            "replies_policy": record.replies_policy, "exclusive": record.exclusive}


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


async def _call(request: Request, verb: str, payload, reply_type, scope: str = "read"):
    gw = gateway_of(request)
    _, me = await gw.user(request, scope=scope)
    assert gw.nc is not None
    return gw, me, await bus.request(gw.nc, "graph", verb, payload(me.id), reply_type)


@get("/api/v1/lists")
async def all_lists(request: Request) -> Response:
    _, _, reply = await _call(request, "lists.owned", lambda me: api.OwnerLists(account_id=me),
                              api.Lists)
    return responses.json([list_json(item) for item in reply.lists])


@post("/api/v1/lists")
async def create_list(request: Request) -> Response:
    p = await params.read(request, ListParams)
    _, _, record = await _call(request, "list.save", lambda me: api.SaveList(
        account_id=me, title=p.title, replies_policy=p.replies_policy, exclusive=p.exclusive),
        api.ListRecord, "write")
    return responses.json(list_json(record))


@get("/api/v1/lists/{list_id:str}")
async def one_list(request: Request, list_id: FromPath[str]) -> Response:
    _, _, record = await _call(request, "list.get", lambda me: api.ListRef(
        account_id=me, id=id_or_404(list_id)), api.ListRecord)
    return responses.json(list_json(record))


@put("/api/v1/lists/{list_id:str}")
async def update_list(request: Request, list_id: FromPath[str]) -> Response:
    p = await params.read(request, ListParams)
    _, _, record = await _call(request, "list.save", lambda me: api.SaveList(
        account_id=me, id=id_or_404(list_id), title=p.title, replies_policy=p.replies_policy,
        exclusive=p.exclusive), api.ListRecord, "write")
    return responses.json(list_json(record))


@delete("/api/v1/lists/{list_id:str}", status_code=200)
async def delete_list(request: Request, list_id: FromPath[str]) -> Response:
    await _call(request, "list.delete", lambda me: api.ListRef(account_id=me,
                                                               id=id_or_404(list_id)),
                api.ListRecord, "write")
    return responses.json({})


@get("/api/v1/lists/{list_id:str}/accounts")
async def list_accounts(request: Request, list_id: FromPath[str]) -> Response:
    gw, _, members = await _call(request, "list.members", lambda me: api.ListRef(
        account_id=me, id=id_or_404(list_id)), api.ListMembers)
    assert gw.hydrator is not None
    accounts = await gw.hydrator.accounts(members.account_ids)
    return responses.json([mastodon.account(accounts[i], gw.base_url)
                           for i in members.account_ids if i in accounts])


async def _change_members(request: Request, list_id: str, verb: str) -> Response:
    p = await params.read(request, MemberParams)
    ids = [i for i in (parse_id(r) for r in p.account_ids) if i is not None]
    await _call(request, verb, lambda me: api.ListMembers(account_id=me, id=id_or_404(list_id),
                                                          account_ids=ids),
                api.ListMembers, "write")
    return responses.json({})


@post("/api/v1/lists/{list_id:str}/accounts")
async def add_accounts(request: Request, list_id: FromPath[str]) -> Response:
    return await _change_members(request, list_id, "list.add_members")


@delete("/api/v1/lists/{list_id:str}/accounts", status_code=200)
async def remove_accounts(request: Request, list_id: FromPath[str]) -> Response:
    return await _change_members(request, list_id, "list.remove_members")


@get("/api/v1/accounts/{account_id:str}/lists")
async def lists_with_account(request: Request, account_id: FromPath[str]) -> Response:
    _, _, reply = await _call(request, "lists.owned", lambda me: api.OwnerLists(
        account_id=me, member_id=id_or_404(account_id)), api.Lists)
    return responses.json([list_json(item) for item in reply.lists])


@get("/api/v1/timelines/list/{list_id:str}")
async def list_timeline(request: Request, list_id: FromPath[str]) -> Response:
    gw, me, record = await _call(request, "list.get", lambda me: api.ListRef(
        account_id=me, id=id_or_404(list_id)), api.ListRecord)
    p = await params.read(request, PageParams, body=False)
    assert gw.redis is not None and gw.hydrator is not None
    ids = await reads.page(gw.redis.lean, list_key(me.id, record.id), limit=clamp(p.limit),
                               max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                               min_id=parse_id(p.min_id))
    return await render_page(request, ids, me.id)


ROUTES = [all_lists, create_list, one_list, update_list, delete_list, list_accounts,
          add_accounts, remove_accounts, lists_with_account, list_timeline]
