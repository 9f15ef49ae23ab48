"""The web client: a single-page app of plain ES modules in ``services/gateway/web/`` (no build
step). Every path the client routes itself (``/``, ``/web/...``, ``/@user``, ``/@user/123``,
``/tags/x``, ``/invite/code``) answers with its index page; the browser then asks only the public
API, like any other client.

Assets are served from memory under ``/web/assets/<version>/`` (see ``services/gateway/assets.py``)
and can be cached as immutable; the index is never cached."""

from __future__ import annotations

import html
from functools import cache
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from services.gateway.application import feeds
from services.gateway.assets import ASSETS, bundle
from services.gateway.context import Gateway, gateway_of
from services.gateway.presenters import feeds as present
from services.gateway.scopes import PUBLIC
from shared import errors

IMMUTABLE = "public, max-age=31536000, immutable"


def security_headers(request: Request[Any, Any, Any]) -> dict[str, str]:
    """For the client's pages: scripts only from here, and the API's WebSocket on this host.
    Status HTML comes from the server already escaped; this is the second line of defence.
    Pictures, video and audio may come from elsewhere: with the S3 back end, attachments are
    served by the bucket's own host (presigned URLs), which ``'self'`` alone would block."""
    host = request.headers.get("host", "")
    ws = f"ws://{host} wss://{host}" if host else ""
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data: https: http:; media-src 'self' https: http:; "
            f"connect-src 'self' {ws}; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


@cache
def index_page() -> bytes:
    """The index with this version's asset URLs, and every module preloaded: without a bundler,
    the browser would otherwise find the imports one level at a time."""
    page = bundle().files.get("index.html")
    if page is None:
        raise NotFoundException()
    prefix = f"{ASSETS}/{bundle().version}"
    preload = "\n".join(f'<link rel="modulepreload" href="{prefix}/{name}">'
                         for name in bundle().files if name.endswith(".js"))
    return page.body.replace(b"{{preload}}", preload.encode()).replace(
        b"{{assets}}", prefix.encode())


def index_response(request: Request[Any, Any, Any], head: bytes = b"") -> Response[Any]:
    """The index; ``head``: more of the page's ``<head>`` (a profile's feed links)."""
    body = index_page()
    if head:
        body = body.replace(b"</head>", head + b"</head>", 1)
    return Response(content=body, media_type="text/html",
                    headers={"Cache-Control": "no-cache", **security_headers(request)})


@get(["/", "/web", "/web/{rest:path}", "/invite/{code:str}"],
     sync_to_thread=False, include_in_schema=False, opt=PUBLIC)
def client(request: Request[Any, Any, Any]) -> Response[Any]:
    return index_response(request)


@get("/tags/{name:str}", include_in_schema=False, opt=PUBLIC)
async def tag_page(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    """The client's hashtag page, or with a feed's suffix (``/tags/x.atom``) its public feed."""
    feed = feeds.split_format(name)
    if feed is not None:
        return await feeds.serve(gateway_of(request), request, "tag", feed[0], feed[1])
    return index_response(request)


@get(["/{handle:str}", "/{handle:str}/{rest:path}"], include_in_schema=False, opt=PUBLIC)
async def profile_page(request: Request[Any, Any, Any], handle: FromPath[str]) -> Response[Any]:
    """``/@user`` and ``/@user/<status id>``, the URLs the API gives accounts and statuses;
    ``/@user.atom`` (``.rss``, ``.json``) the account's public feed. An account that opted in
    to public feeds gets its feeds' ``<link rel="alternate">`` on its page, where feed readers
    look for them."""
    if not handle.startswith("@") or len(handle) < 2:
        raise NotFoundException()
    rest = request.path_params.get("rest")
    feed = feeds.split_format(handle[1:]) if rest is None else None
    if feed is not None:
        return await feeds.serve(gateway_of(request), request, "account", feed[0], feed[1])
    links = await feed_links(request, handle[1:]) if rest is None else b""
    return index_response(request, links)


async def feed_links(request: Request[Any, Any, Any], username: str) -> bytes:
    """The account's feed links, or nothing (not opted in; or the gateway still starting, or
    graph not answering: the page itself must not fail for want of its links)."""
    gw: Gateway = request.app.state.gateway
    if not gw.ready:
        return b""
    try:
        urls = await feeds.opted_in_account_links(gw, username)
    except errors.Unavailable:
        return b""
    if urls is None:
        return b""
    return "".join(
        f'<link rel="alternate" type="{present.MEDIA_TYPES[fmt].split(";")[0]}" '
        f'title="{html.escape(username)} ({fmt})" href="{html.escape(url)}">\n'
        for fmt, url in urls.items()).encode()


@get(f"{ASSETS}/{{version:str}}/{{name:path}}", sync_to_thread=False, include_in_schema=False,
     opt=PUBLIC)
def asset(request: Request[Any, Any, Any], version: FromPath[str],
          name: FromPath[str]) -> Response[Any]:
    found = bundle().files.get(name.lstrip("/"))
    if found is None or name.lstrip("/") == "index.html":
        raise NotFoundException()
    # An old version's URL still answers (a page loaded before a restart may ask for it) but
    # must not be cached as if it were that version.
    cache_control = IMMUTABLE if version == bundle().version else "no-cache"
    headers = {"Cache-Control": cache_control, "ETag": found.etag,
               "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == found.etag:
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=found.body, media_type=found.media_type, headers=headers)


ROUTES = [asset, client, tag_page, profile_page]
