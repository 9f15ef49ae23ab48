"""Public feeds (Hubbub's own): the opt-in switches, and an external community's feeds.

- ``GET``/``PUT /api/hubbub/v1/feeds/settings``: the caller's own account feed (``public_feed``),
  off by default;
- ``GET``/``PUT /api/hubbub/v1/communities/:id/feed``: an external community's, switched by its
  owner and admins (403 for other members, 404 for a community the caller cannot see, 422 for
  an internal community);
- ``GET /communities/:id.atom|.rss|.json``: the community's feeds, for anyone.

The account and hashtag feeds (``/@name.atom``, ``/tags/name.atom``...) share their paths with
the web client's pages: routes/web.py hands them to the same application layer by suffix.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application import feeds
from services.gateway.application.feed_cache import FeedCache
from services.gateway.context import Gateway, gateway_of
from services.gateway.scopes import PUBLIC, needs
from shared import bus, errors
from shared.contracts import feeds as feeds_api
from shared.contracts import graph as graph_api
from shared.ids import parse_id

BASE = "/api/hubbub/v1"


class SwitchParams(params.Params):
    public_feed: bool


def _community_id(raw: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.NotFound("Record not found")
    return parsed


def _account_json(gw: Gateway, username: str, setting: feeds_api.AccountFeed) -> dict[str, Any]:
    return {"public_feed": setting.public_feed,
            "feeds": feeds.account_feed_urls(gw.base_url, username)
            if setting.public_feed else None}


def _community_json(gw: Gateway, setting: feeds_api.CommunityFeed) -> dict[str, Any]:
    return {"community_id": str(setting.community_id), "external": setting.external,
            "public_feed": setting.public_feed, "can_manage": setting.can_manage,
            "feeds": feeds.community_feed_urls(gw.base_url, setting.community_id)
            if setting.public_feed else None}


@get(f"{BASE}/feeds/settings", opt=needs("read:accounts"))
async def account_setting(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    setting = await bus.call(gw.nc, graph_api.FEED_ACCOUNT_GET,
                             feeds_api.AccountFeedRef(account_id=me.id))
    return responses.json(_account_json(gw, me.username, setting))


@put(f"{BASE}/feeds/settings", opt=needs("write:accounts"))
async def switch_account(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, SwitchParams)
    setting = await bus.call(gw.nc, graph_api.FEED_ACCOUNT_SET, feeds_api.SetAccountFeed(
        account_id=me.id, public_feed=p.public_feed))
    await FeedCache(gw.redis.main).opt_in_changed()
    return responses.json(_account_json(gw, me.username, setting))


@get(f"{BASE}/communities/{{community_id:str}}/feed", opt=needs("read"))
async def community_setting(request: Request[Any, Any, Any],
                            community_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    setting = await bus.call(gw.nc, graph_api.FEED_COMMUNITY_GET, feeds_api.CommunityFeedRef(
        account_id=me.id, community_id=_community_id(community_id)))
    return responses.json(_community_json(gw, setting))


@put(f"{BASE}/communities/{{community_id:str}}/feed", opt=needs("write"))
async def switch_community(request: Request[Any, Any, Any],
                           community_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    target = _community_id(community_id)
    p = await params.read(request, SwitchParams)
    setting = await bus.call(gw.nc, graph_api.FEED_COMMUNITY_SET, feeds_api.SetCommunityFeed(
        account_id=me.id, community_id=target, public_feed=p.public_feed))
    await FeedCache(gw.redis.main).opt_in_changed()
    return responses.json(_community_json(gw, setting))


@get("/communities/{name:str}", opt=PUBLIC, include_in_schema=False)
async def community_feed(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    found = feeds.split_format(name)
    if found is None:
        raise NotFoundException()
    return await feeds.serve(gateway_of(request), request, "community", found[0], found[1])


ROUTES = [account_setting, switch_account, community_setting, switch_community, community_feed]
