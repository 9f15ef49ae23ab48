"""Hashtags: look one up, follow and unfollow it, list the ones followed, and the ones trending
in the reader's network. Following a hashtag brings its public posts (from the follower's
network) into the home timeline."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.context import gateway_of
from services.gateway.presenters.tags import tag, tag_json
from services.gateway.scopes import needs
from shared import bus
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.contracts.verb import Verb
from shared.ids import parse_id


class TrendsParams(params.Params):
    limit: int = 10
    offset: int = 0


@get(["/api/v1/trends/tags", "/api/v1/trends"], opt=needs("read:statuses"))
async def trending_tags(request: Request[Any, Any, Any]) -> Response[Any]:
    """The hashtags most used in the reader's network's public posts over the last week (by
    distinct authors, then uses), with their daily history, as Mastodon's trends. The reader's
    network only: signed-in readers, like the public timeline."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, TrendsParams, body=False)
    found = await bus.call(gw.nc, posts_api.TAG_TRENDS, posts_api.TagTrends(
        network_id=me.network_id, limit=max(1, min(p.limit, 20)), offset=max(0, p.offset)))
    return responses.json([tag_json(t.name, gw.base_url, t.history) for t in found.tags])


async def _tag_action(request: Request[Any, Any, Any], name: str,
                      verb: Verb[graph_api.TagAction, graph_api.Tag], account_id: int | None
                      ) -> Response[Any]:
    gw = gateway_of(request)
    found = await bus.call(gw.nc, verb, graph_api.TagAction(account_id=account_id, tag=name))
    return responses.json(tag(found, gw.base_url))


@get("/api/v1/tags/{name:str}", opt=needs("read:statuses", anonymous=True))
async def get_tag(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    caller = await gw.caller(request)
    account_id = None
    if caller is not None and caller.account_id is not None:
        _, me = await gw.user(request)
        account_id = me.id
    return await _tag_action(request, name, graph_api.TAG_GET, account_id)


@post("/api/v1/tags/{name:str}/follow", opt=needs("write:follows"))
async def follow_tag(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    _, me = await gateway_of(request).user(request)
    return await _tag_action(request, name, graph_api.TAG_FOLLOW, me.id)


@post("/api/v1/tags/{name:str}/unfollow", opt=needs("write:follows"))
async def unfollow_tag(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    _, me = await gateway_of(request).user(request)
    return await _tag_action(request, name, graph_api.TAG_UNFOLLOW, me.id)


class FollowedTagsParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 100


@get("/api/v1/followed_tags", opt=needs("read:follows"))
async def followed_tags(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, FollowedTagsParams, body=False)
    page = graph_api.IdPage(max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                            min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 200)))
    reply = await bus.call(gw.nc, graph_api.TAG_FOLLOWED,
                           graph_api.FollowedTagsPage(account_id=me.id, page=page))
    # Paged by the follows' ids, which the tags themselves do not show.
    headers = (responses.cursor_link_header(request, gw.base_url, reply.tags[0].id,
                                            reply.tags[-1].id) if reply.tags else {})
    return responses.json([tag(t, gw.base_url) for t in reply.tags], headers=headers)


ROUTES = [get_tag, follow_tag, unfollow_tag, followed_tags, trending_tags]
