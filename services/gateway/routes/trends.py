"""Trending statuses and links of the reader's network (Mastodon's /api/v1/trends/statuses and
/api/v1/trends/links), and the statuses sharing a link (/api/v1/timelines/link). The reader's
network only, signed-in readers only, like the public timeline and the trending hashtags
(routes/tags.py); the posts service ranks and caches them (services/posts/store/trends.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from services.gateway import params, responses
from services.gateway.application.timelines import MAX_LIMIT, PageParams, clamp
from services.gateway.context import gateway_of
from services.gateway.presenters.cards import trends_link
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import posts as posts_api
from shared.ids import parse_id


class StatusTrendsParams(params.Params):
    limit: int = 20
    offset: int = 0


class LinkTrendsParams(params.Params):
    limit: int = 10
    offset: int = 0


@get("/api/v1/trends/statuses", opt=needs("read:statuses"))
async def trending_statuses(request: Request[Any, Any, Any]) -> Response[Any]:
    """The public statuses of the reader's network that others favourited and reblogged most
    in the last two days (recent ones weigh more), of discoverable authors. The Link header
    counts what was ranked: a page may hold fewer than ``limit`` (what the reader does not see)
    and still have a next one."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, StatusTrendsParams, body=False)
    limit, offset = max(1, min(p.limit, MAX_LIMIT)), max(0, min(p.offset, 10_000))
    found = await bus.call(gw.nc, posts_api.STATUS_TRENDS, posts_api.Trends(
        network_id=me.network_id, limit=limit, offset=offset))
    # Public statuses of the reader's own network: the policy lets every member see them, but
    # for authors the reader blocked or muted (or who blocked it), which ``hidden`` holds.
    # As Mastodon, only the statuses of accounts that chose to be discoverable are featured.
    statuses = await gw.hydrator.statuses(found.ids)
    authors = await gw.hydrator.accounts(list({s.account_id for s in statuses.values()}))
    featured = {i for i, s in statuses.items()
                if s.account_id in authors and authors[s.account_id].discoverable}
    hidden, filters = await gw.reader_cache(me.id)
    body = await gw.hydrator.page(found.ids, me.id, hidden=hidden, filters=filters,
                                  keep=lambda s: s.id in featured, context="public")
    return responses.raw_json(body, headers=responses.offset_link_header(
        request, gw.base_url, offset, limit, len(found.ids)))


@get("/api/v1/trends/links", opt=needs("read:statuses"))
async def trending_links(request: Request[Any, Any, Any]) -> Response[Any]:
    """The links most shared in the reader's network's public posts over the last week (by
    distinct sharers, then shares), each a preview card with its daily history."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, LinkTrendsParams, body=False)
    limit, offset = max(1, min(p.limit, 20)), max(0, min(p.offset, 10_000))
    found = await bus.call(gw.nc, posts_api.LINK_TRENDS, posts_api.Trends(
        network_id=me.network_id, limit=limit, offset=offset))
    return responses.json([trends_link(link) for link in found.links],
                          headers=responses.offset_link_header(request, gw.base_url, offset,
                                                               limit, len(found.links)))


class LinkTimelineParams(PageParams):
    url: str = ""


@get("/api/v1/timelines/link", opt=needs("read:statuses"))
async def link_timeline(request: Request[Any, Any, Any]) -> Response[Any]:
    """The public statuses of the reader's network whose preview card is the link at ``url``,
    newest first (Mastodon 4.3)."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, LinkTimelineParams, body=False)
    if not p.url.strip():
        raise errors.Invalid("Validation failed: url can't be blank")
    if len(p.url) > 2000:
        raise errors.Invalid("Validation failed: url is too long")
    found = await bus.call(gw.nc, posts_api.LINK_TIMELINE, posts_api.LinkTimeline(
        network_id=me.network_id, url=p.url.strip(), page=posts_api.Page(
            max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
            min_id=parse_id(p.min_id), limit=clamp(p.limit))))
    hidden, filters = await gw.reader_cache(me.id)
    body = await gw.hydrator.page(found.ids, me.id, hidden=hidden, filters=filters,
                                  context="public")
    headers = (responses.cursor_link_header(request, gw.base_url, found.ids[0], found.ids[-1])
               if found.ids else {})
    return responses.raw_json(body, headers=headers)


ROUTES = [trending_statuses, trending_links, link_timeline]
