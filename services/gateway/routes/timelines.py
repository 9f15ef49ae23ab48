"""Timelines read from the Redis read models that fanout maintains."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.home import read_home
from services.gateway.application.timelines import (
    MAX_LIMIT,
    PageParams,
    clamp,
    render_page,
    with_media,
)
from services.gateway.context import gateway_of
from services.gateway.scopes import needs
from shared.ids import parse_id
from shared.records import public_key, tag_key
from shared.timelines import reads


@get("/api/v1/timelines/home", opt=needs("read:statuses"))
async def home(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller = await gw.signed_in(request)
    reply = await read_home(gw, caller, request.url.path,
                            list(request.query_params.multi_items()))
    return responses.raw_json(reply.body, status=reply.status,
                              headers={"Link": reply.link} if reply.link else {})


@get("/api/v1/timelines/public", opt=needs("read:statuses"))
async def public(request: Request[Any, Any, Any]) -> Response[Any]:
    """The reader's network: public posts of its members (``local`` changes nothing, since every
    post of a network is local to it; ``remote`` finds nothing)."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, PageParams, body=False)
    if p.remote:
        return responses.json([])
    if p.only_media:

        async def read(max_id: int | None, since_id: int | None, min_id: int | None
                       ) -> list[int]:
            return await reads.page(gw.redis.lean, public_key(me.network_id), limit=MAX_LIMIT,
                                    max_id=max_id, since_id=since_id, min_id=min_id)

        return await render_page(request, await with_media(gw, p, read), me.id, context="public",
                                  limit_silenced=True)
    ids = await reads.page(gw.redis.lean, public_key(me.network_id), limit=clamp(p.limit),
                               max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                               min_id=parse_id(p.min_id))
    return await render_page(request, ids, me.id, context="public", limit_silenced=True)


class TagParams(PageParams):
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []


@get("/api/v1/timelines/tag/{hashtag:str}", opt=needs("read:statuses"))
async def tag(request: Request[Any, Any, Any], hashtag: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, TagParams, body=False)
    if p.remote:
        return responses.json([])
    wanted = [t.lower().lstrip("#") for t in [hashtag, *p.any] if t]
    limit = clamp(p.limit)
    merged: set[int] = set()
    for name in dict.fromkeys(wanted):
        merged.update(await reads.page(
            gw.redis.lean, tag_key(me.network_id, name), limit=limit, max_id=parse_id(p.max_id),
            since_id=parse_id(p.since_id), min_id=parse_id(p.min_id)))
    if parse_id(p.min_id) is not None:
        ids = sorted(merged)[:limit][::-1]  # the entries just above min_id, newest first
    else:
        ids = sorted(merged, reverse=True)[:limit]
    need = {t.lower().lstrip("#") for t in p.all}
    refuse = {t.lower().lstrip("#") for t in p.none}
    media = p.only_media  # (a short page, the timeline's Link: read on with it)
    return await render_page(
        request, ids, me.id,
        keep=lambda s: (need <= set(s.tags) and not refuse & set(s.tags)
                        and (not media or bool(s.media))), context="public",
        limit_silenced=True)


ROUTES = [home, public, tag]
