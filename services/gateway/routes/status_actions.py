"""What people do with a status: favourite, reblog, bookmark, pin; and who did it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.statuses import status_id_or_404, visible_status
from services.gateway.application.visible_pages import fill_page
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import needs, per_param
from shared import bus
from shared.contracts import posts as posts_api
from shared.contracts.verb import Verb
from shared.ids import parse_id
from shared.records import StatusRecord

# action in the path -> posts verb (reblog, which takes a body, is handled apart)
ACTIONS: dict[str, Verb[posts_api.StatusAction, StatusRecord]] = {
    "favourite": posts_api.FAVOURITE_ADD,
    "unfavourite": posts_api.FAVOURITE_REMOVE,
    "unreblog": posts_api.REBLOG_REMOVE,
    "bookmark": posts_api.BOOKMARK_ADD,
    "unbookmark": posts_api.BOOKMARK_REMOVE,
    "pin": posts_api.PIN_ADD,
    "unpin": posts_api.PIN_REMOVE,
}
# Each action's scope, as Mastodon's controllers ask (pins are part of the profile).
STATUS_ACTIONS = per_param("action", {
    "reblog": needs("write:statuses"), "unreblog": needs("write:statuses"),
    "favourite": needs("write:favourites"), "unfavourite": needs("write:favourites"),
    "bookmark": needs("write:bookmarks"), "unbookmark": needs("write:bookmarks"),
    "pin": needs("write:accounts"), "unpin": needs("write:accounts"),
})


@post("/api/v1/statuses/{status_id:str}/{action:str}", opt=STATUS_ACTIONS)
async def act(request: Request[Any, Any, Any], status_id: FromPath[str],
              action: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    if action == "reblog":
        _, me = await gw.user(request)
        p = await params.read(request, ReblogParams)
        reblog = await bus.call(gw.nc, posts_api.REBLOG_ADD, posts_api.Reblog(
            account_id=me.id, status_id=status_id_or_404(status_id), network_id=me.network_id,
            visibility=p.visibility))
        [rendered] = await gw.hydrator.render_statuses([reblog], me.id)
        return responses.json(rendered)
    if action not in ACTIONS:
        return responses.error("Record not found", 404)
    verb = ACTIONS[action]
    _, me = await gw.user(request)
    status = await bus.call(gw.nc, verb, posts_api.StatusAction(
        account_id=me.id, status_id=status_id_or_404(status_id), network_id=me.network_id))
    [rendered] = await gw.hydrator.render_statuses([status], me.id)
    return responses.json(rendered)


class ReblogParams(params.Params):
    visibility: str = "public"


# Accounts read per round for favourited_by / reblogged_by (the posts service's most).
WHO_BATCH = 80


class PageParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


def page_of(p: PageParams) -> posts_api.Page:
    return posts_api.Page(max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                          min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 80)))


async def _who(request: Request[Any, Any, Any], status_id: str,
               verb: Verb[posts_api.StatusPage, posts_api.PageItems]) -> Response[Any]:
    """Who favourited or reblogged: only the accounts the reader may see (a post seen across
    networks, by a mention or a shared community, is not a list of the other network's people),
    paged by the items returned, whose cursors alone the reader may learn."""
    gw, status, reader_id = await visible_status(request, status_id)
    p = await params.read(request, PageParams, body=False)
    target = status.reblog_of_id or status.id

    async def read(max_id: int | None, since_id: int | None, min_id: int | None
                   ) -> list[posts_api.PageItem]:
        page = posts_api.Page(max_id=max_id, since_id=since_id, min_id=min_id, limit=WHO_BATCH)
        reply = await bus.call(gw.nc, verb, posts_api.StatusPage(status_id=target, page=page))
        return reply.items

    async def keep(items: list[posts_api.PageItem]) -> list[posts_api.PageItem]:
        if reader_id is None:
            return []  # an anonymous reader sees no account
        seen = await gw.visible_accounts(reader_id, list({i.id for i in items}))
        return [i for i in items if i.id in seen]

    wanted = page_of(p)
    kept = await fill_page(read, keep, lambda i: i.cursor, max_id=wanted.max_id,
                           since_id=wanted.since_id, min_id=wanted.min_id, limit=wanted.limit,
                           batch=WHO_BATCH)
    accounts = await gw.hydrator.accounts([item.id for item in kept])
    shaped = [mastodon.account(accounts[item.id], gw.base_url)
              for item in kept if item.id in accounts]
    headers = (responses.cursor_link_header(request, gw.base_url, kept[0].cursor,
                                            kept[-1].cursor) if kept else {})
    return responses.json(shaped, headers=headers)


@get("/api/v1/statuses/{status_id:str}/favourited_by", opt=needs("read:accounts", anonymous=True))
async def favourited_by(request: Request[Any, Any, Any], status_id: FromPath[str]) -> Response[Any]:
    return await _who(request, status_id, posts_api.STATUS_FAVOURITED_BY)


@get("/api/v1/statuses/{status_id:str}/reblogged_by", opt=needs("read:accounts", anonymous=True))
async def reblogged_by(request: Request[Any, Any, Any], status_id: FromPath[str]) -> Response[Any]:
    return await _who(request, status_id, posts_api.STATUS_REBLOGGED_BY)


async def _mine(request: Request[Any, Any, Any],
                verb: Verb[posts_api.AccountPage, posts_api.PageItems]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, PageParams, body=False)
    page = await bus.call(gw.nc, verb, posts_api.AccountPage(
        account_id=me.id, page=page_of(p)))
    found = await gw.hydrator.statuses([item.id for item in page.items])
    kept = await gw.hydrator.visible([found[i.id] for i in page.items if i.id in found],
                                     await gw.viewer(await gw.caller(request)))
    shaped = await gw.hydrator.render_statuses(kept, me.id)
    headers = (responses.cursor_link_header(request, gw.base_url, page.items[0].cursor,
                                            page.items[-1].cursor) if page.items else {})
    return responses.json(shaped, headers=headers)


@get("/api/v1/favourites", opt=needs("read:favourites"))
async def favourites(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _mine(request, posts_api.FAVOURITES_LIST)


@get("/api/v1/bookmarks", opt=needs("read:bookmarks"))
async def bookmarks(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _mine(request, posts_api.BOOKMARKS_LIST)


ROUTES = [act, favourited_by, reblogged_by, favourites, bookmarks]
