"""Communities (Hubbub's own API): create, find, join and leave; requests, invitations, members
and roles; the community timeline. The graph service decides who may see and do what; a
community the reader may not see answers 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.timelines import PageParams, clamp
from services.gateway.application.visible_pages import fill_page
from services.gateway.context import Gateway, gateway_of
from services.gateway.presenters import mastodon
from services.gateway.presenters.communities import community_json, member_json
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import communities as api
from shared.contracts import graph as graph_api
from shared.contracts.verb import Rep, Req, Verb
from shared.ids import parse_id
from shared.records import AccountRecord, StatusRecord, community_key
from shared.timelines import reads

# Communities are Hubbub's own (Mastodon has no groups), so no granular Mastodon scope names
# them: reading one or its members needs ``read`` and changing membership ``write``, the
# umbrella scopes a full client holds; a narrowly scoped token (read:notifications only, say)
# never reaches them. The community timeline is statuses, as the hashtag timeline.
READ = needs("read")
WRITE = needs("write")

BASE = "/api/hubbub/v1/communities"
MAX_LIMIT = 80
COMMUNITY_BATCH = 40  # statuses read per round of a community timeline page


def id_or_404(raw: str | int) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.NotFound("Record not found")
    return parsed


async def ask(gw: Gateway, verb: Verb[Req, Rep], payload: Req) -> Rep:
    return await bus.call(gw.nc, verb, payload)


async def target_account(gw: Gateway, raw_id: str | int) -> AccountRecord:
    account = await gw.hydrator.account(id_or_404(raw_id))
    if account is None:
        raise errors.NotFound("Record not found")
    return account


class CreateParams(params.Params):
    name: str
    description: str = ""
    membership: str = api.OPEN
    external: bool = False


class ListParams(params.Params):
    q: str = ""
    limit: int = 40


class CursorParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


class InviteParams(params.Params):
    account_id: str | int


class RoleParams(params.Params):
    role: str


@post(BASE, opt=WRITE)
async def create_community(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, CreateParams)
    community = await ask(gw, graph_api.COMMUNITY_CREATE,
                          api.CreateCommunity(account_id=me.id, name=p.name,
                                              description=p.description,
                                              membership=p.membership, external=p.external))
    return responses.json(community_json(community))


@get(BASE, opt=READ)
async def list_communities(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, ListParams, body=False)
    found = await ask(gw, graph_api.COMMUNITY_LIST,
                      api.ListCommunities(account_id=me.id, q=p.q,
                                          limit=max(1, min(p.limit, MAX_LIMIT))))
    return responses.json([community_json(c) for c in found.communities])


@get(f"{BASE}/{{community_id:str}}", opt=READ)
async def get_community(request: Request[Any, Any, Any],
                        community_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    community = await ask(gw, graph_api.COMMUNITY_GET,
                          api.CommunityRef(account_id=me.id, community_id=id_or_404(community_id)))
    return responses.json(community_json(community))


@post(f"{BASE}/{{community_id:str}}/join", opt=WRITE)
async def join(request: Request[Any, Any, Any], community_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    community = await ask(gw, graph_api.COMMUNITY_JOIN,
                          api.CommunityRef(account_id=me.id, community_id=id_or_404(community_id)))
    return responses.json(community_json(community))


@post(f"{BASE}/{{community_id:str}}/leave", opt=WRITE)
async def leave(request: Request[Any, Any, Any], community_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    community = await ask(gw, graph_api.COMMUNITY_LEAVE,
                          api.CommunityRef(account_id=me.id, community_id=id_or_404(community_id)))
    return responses.json(community_json(community))


@get(f"{BASE}/{{community_id:str}}/requests", opt=READ)
async def join_requests(request: Request[Any, Any, Any],
                        community_id: FromPath[str]) -> Response[Any]:
    """The accounts waiting for approval, newest request first (Mastodon's follow_requests)."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, CursorParams, body=False)
    page = await ask(gw, graph_api.COMMUNITY_REQUESTS,
                     api.RequestsPage(account_id=me.id, community_id=id_or_404(community_id),
                                      max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                                      min_id=parse_id(p.min_id), limit=p.limit))
    accounts = await gw.hydrator.accounts([r.account_id for r in page.requests])
    shaped = [mastodon.account(accounts[r.account_id], gw.base_url)
              for r in page.requests if r.account_id in accounts]
    headers = {}
    if page.requests:
        headers = responses.cursor_link_header(request, gw.base_url, page.requests[0].id,
                                               page.requests[-1].id)
    return responses.json(shaped, headers=headers)


async def _settle(request: Request[Any, Any, Any], community_id: str, account_id: str,
                  verb: Verb[api.CommunityTarget, Rep]) -> Any:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    target = await target_account(gw, account_id)
    return gw, target, await ask(gw, verb, api.CommunityTarget(
        account_id=me.id, community_id=id_or_404(community_id), target_id=target.id))


@post(f"{BASE}/{{community_id:str}}/requests/{{account_id:str}}/approve", opt=WRITE)
async def approve(request: Request[Any, Any, Any], community_id: FromPath[str],
                  account_id: FromPath[str]
                  ) -> Response[Any]:
    gw, target, joined = await _settle(request, community_id, account_id,
                                       graph_api.COMMUNITY_APPROVE)
    return responses.json(member_json(joined, target, gw.base_url))


@post(f"{BASE}/{{community_id:str}}/requests/{{account_id:str}}/reject", opt=WRITE)
async def reject(request: Request[Any, Any, Any], community_id: FromPath[str],
                 account_id: FromPath[str]
                 ) -> Response[Any]:
    await _settle(request, community_id, account_id, graph_api.COMMUNITY_REJECT)
    return responses.json({})


@get(f"{BASE}/{{community_id:str}}/members", opt=READ)
async def members(request: Request[Any, Any, Any], community_id: FromPath[str]) -> Response[Any]:
    """Members with their roles, newest account id first, paged by account id."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, CursorParams, body=False)
    page = await ask(gw, graph_api.COMMUNITY_MEMBERS,
                     api.MembersPage(account_id=me.id, community_id=id_or_404(community_id),
                                     max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                                     min_id=parse_id(p.min_id), limit=p.limit))
    accounts = await gw.hydrator.accounts([m.account_id for m in page.members])
    shaped = [member_json(m, accounts[m.account_id], gw.base_url)
              for m in page.members if m.account_id in accounts]
    headers = {}
    if page.members:
        headers = responses.cursor_link_header(request, gw.base_url, page.members[0].account_id,
                                               page.members[-1].account_id)
    return responses.json(shaped, headers=headers)


@post(f"{BASE}/{{community_id:str}}/invite", opt=WRITE)
async def invite(request: Request[Any, Any, Any], community_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, InviteParams)
    target = await target_account(gw, p.account_id)
    await ask(gw, graph_api.COMMUNITY_INVITE,
              api.CommunityTarget(account_id=me.id, community_id=id_or_404(community_id),
                                  target_id=target.id))
    return responses.json({})


@delete(f"{BASE}/{{community_id:str}}/members/{{account_id:str}}", status_code=200, opt=WRITE)
async def remove_member(request: Request[Any, Any, Any], community_id: FromPath[str],
                        account_id: FromPath[str]) -> Response[Any]:
    await _settle(request, community_id, account_id, graph_api.COMMUNITY_REMOVE_MEMBER)
    return responses.json({})


@patch(f"{BASE}/{{community_id:str}}/members/{{account_id:str}}", opt=WRITE)
async def change_role(request: Request[Any, Any, Any], community_id: FromPath[str],
                      account_id: FromPath[str]
                      ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, RoleParams)
    target = await target_account(gw, account_id)
    changed = await ask(gw, graph_api.COMMUNITY_SET_ROLE,
                        api.ChangeRole(account_id=me.id, community_id=id_or_404(community_id),
                                       target_id=target.id, role=p.role))
    return responses.json(member_json(changed, target, gw.base_url))


@get("/api/hubbub/v1/timelines/community/{community_id:str}", opt=needs("read:statuses"))
async def community_timeline(request: Request[Any, Any, Any],
                             community_id: FromPath[str]) -> Response[Any]:
    """Members only (404 for anyone else). The page goes through the visibility policy (a
    private community post shows only to the members who follow its author) and the reader's
    mutes."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    community = id_or_404(community_id)
    p = await params.read(request, PageParams, body=False)
    # One round trip: the reader's memberships, the policy's facts and its mutes.
    facts = await ask(gw, graph_api.VIEWER_FACTS, graph_api.ViewerFacts(account_id=me.id))
    if community not in facts.communities:
        raise errors.NotFound("Record not found")
    muted = set(facts.muted)
    viewer = facts.viewer()
    filters = await gw.hydrator.reader_filters(me.id)  # context ``public``, as Mastodon's
    found: dict[int, StatusRecord] = {}

    async def read(max_id: int | None, since_id: int | None, min_id: int | None) -> list[int]:
        return await reads.page(gw.redis.lean, community_key(community), limit=COMMUNITY_BATCH,
                                max_id=max_id, since_id=since_id, min_id=min_id)

    async def keep(ids: list[int]) -> list[int]:
        found.update(await gw.hydrator.statuses(ids))
        kept = await gw.hydrator.without_filtered(await gw.hydrator.visible(
            [found[i] for i in ids if i in found and found[i].account_id not in muted], viewer),
            filters, "public")
        return [s.id for s in kept]

    # Paged by the statuses returned: a private post the reader may not see must not lend its
    # id to the Link, and a run of them must not end the paging.
    min_id = parse_id(p.min_id)
    ids = await fill_page(read, keep, lambda i: i, max_id=parse_id(p.max_id),
                          since_id=parse_id(p.since_id), min_id=min_id, limit=clamp(p.limit),
                          batch=COMMUNITY_BATCH, ascending=min_id is not None)
    kept = [found[i] for i in ids]
    rendered = await gw.hydrator.render_statuses(kept, me.id, filters, "public")
    headers = (responses.cursor_link_header(request, gw.base_url, kept[0].id, kept[-1].id)
               if kept else {})
    return responses.json(rendered, headers=headers)


class NotifyParams(params.Params):
    notify: bool


@post(f"{BASE}/{{community_id:str}}/notify", opt=WRITE)
async def set_notify(request: Request[Any, Any, Any], community_id: FromPath[str]) -> Response[Any]:
    """Ask to be notified (``hubbub.community_post``) of every new post in the community."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, NotifyParams)
    await ask(gw, graph_api.COMMUNITY_SET_NOTIFY, api.NotifySetting(
        account_id=me.id, community_id=id_or_404(community_id), notify=p.notify))
    return responses.json({"notify": p.notify})


ROUTES = [create_community, list_communities, get_community, join, leave, join_requests,
          approve, reject, members, invite, remove_member, change_role, community_timeline,
          set_notify]
