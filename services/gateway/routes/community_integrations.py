"""What flows into a community from outside (Hubbub's own API): its inbound feeds and incoming
webhooks, managed by the community's owner and admins (the posts service asks graph who they
are: anyone else gets 403, and a community the reader cannot see 404), and the incoming
webhook itself, which a partner's tool POSTs to with nothing but the secret in its URL.

The hook (``POST /api/hubbub/v1/hooks/<token>``, ``{"text": "..."}`` as Slack's and
Mattermost's incoming webhooks take it; other fields ignored) refuses, in this order: over
HOOK_MAX_BYTES 413 (Litestar's body limit: a Content-Length past it is refused before a byte is
read, a longer chunked body as soon as it passes it), past the hook's rate 429 with
``Retry-After`` (counted per token, so one partner's loop cannot flood the community), an
unknown token 401 (as a wrong access token: the issue's choice, and what a partner's tool
reports plainly), then a body that is not a JSON object with a non-empty string ``text``, or
a text past the status limit, 422."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.params import FromPath

from services.gateway import params, responses, tokens
from services.gateway.context import gateway_of
from services.gateway.presenters.integrations import feed_json, hook_json
from services.gateway.scopes import PUBLIC, needs
from shared import bus, errors
from shared.contracts import integrations as api
from shared.contracts import posts as posts_api
from shared.ids import parse_id

# As the other community management routes (routes/communities.py): Hubbub's own, so the
# umbrella scopes; reading the list is ``read``, changing it ``write``.
READ = needs("read")
WRITE = needs("write")

BASE = "/api/hubbub/v1/communities"
HOOK_MAX_BYTES = 16 * 1024
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,200}")
UNKNOWN_HOOK = "The webhook token is invalid"


def id_or_404(raw: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.NotFound("Record not found")
    return parsed


class FeedParams(params.Params):
    url: str


class HookParams(params.Params):
    name: str = ""


@get(f"{BASE}/{{community_id:str}}/feeds", opt=READ)
async def list_feeds(request: Request[Any, Any, Any], community_id: FromPath[str]
                     ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    found = await bus.call(gw.nc, posts_api.FEED_LIST, api.CommunityItems(
        account_id=me.id, community_id=id_or_404(community_id)))
    return responses.json([feed_json(f) for f in found.feeds])


@post(f"{BASE}/{{community_id:str}}/feeds", opt=WRITE)
async def add_feed(request: Request[Any, Any, Any], community_id: FromPath[str]
                   ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, FeedParams)
    feed = await bus.call(gw.nc, posts_api.FEED_ADD, api.AddFeed(
        account_id=me.id, community_id=id_or_404(community_id), url=p.url))
    return responses.json(feed_json(feed))


@delete(f"{BASE}/{{community_id:str}}/feeds/{{feed_id:str}}", status_code=200, opt=WRITE)
async def remove_feed(request: Request[Any, Any, Any], community_id: FromPath[str],
                      feed_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    await bus.call(gw.nc, posts_api.FEED_REMOVE, api.ItemRef(
        account_id=me.id, community_id=id_or_404(community_id), item_id=id_or_404(feed_id)))
    return responses.json({})


@get(f"{BASE}/{{community_id:str}}/incoming_webhooks", opt=READ)
async def list_hooks(request: Request[Any, Any, Any], community_id: FromPath[str]
                     ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    found = await bus.call(gw.nc, posts_api.HOOK_LIST, api.CommunityItems(
        account_id=me.id, community_id=id_or_404(community_id)))
    return responses.json([hook_json(h, gw.base_url) for h in found.hooks])


@post(f"{BASE}/{{community_id:str}}/incoming_webhooks", opt=WRITE)
async def create_hook(request: Request[Any, Any, Any], community_id: FromPath[str]
                      ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, HookParams)
    hook = await bus.call(gw.nc, posts_api.HOOK_CREATE, api.CreateHook(
        account_id=me.id, community_id=id_or_404(community_id), name=p.name))
    return responses.json(hook_json(hook, gw.base_url))


@delete(f"{BASE}/{{community_id:str}}/incoming_webhooks/{{hook_id:str}}", status_code=200,
        opt=WRITE)
async def delete_hook(request: Request[Any, Any, Any], community_id: FromPath[str],
                      hook_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    await bus.call(gw.nc, posts_api.HOOK_DELETE, api.ItemRef(
        account_id=me.id, community_id=id_or_404(community_id), item_id=id_or_404(hook_id)))
    return responses.json({})


def hook_text(body: bytes) -> str | None:
    """The ``text`` of a Slack-shaped body, None when there is none to post."""
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    text = decoded.get("text") if isinstance(decoded, dict) else None
    return text if isinstance(text, str) and text.strip() else None


# No OAuth token looked at: the secret in the path is the credential (checked by posts).
@post("/api/hubbub/v1/hooks/{token:str}", opt=PUBLIC, request_max_body_size=HOOK_MAX_BYTES)
async def post_to_hook(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    if not _TOKEN.fullmatch(token):
        raise errors.Unauthorized(UNKNOWN_HOOK)
    body = await request.body()  # past HOOK_MAX_BYTES: 413, the rest never read
    await gw.rate_limits.hook_hit(tokens.digest(token))
    # No text to post is said after the token is checked (posts: 401 first), so a stranger
    # learns nothing but that its token is wrong.
    posted = await bus.call(gw.nc, posts_api.HOOK_POST,
                            api.PostThroughHook(token=token, text=hook_text(body)))
    return responses.json({"id": str(posted.status_id),
                           "community_id": str(posted.community_id)})


ROUTES = [list_feeds, add_feed, remove_feed, list_hooks, create_hook, delete_hook,
          post_to_hook]
