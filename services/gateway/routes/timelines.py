"""Timelines read from the Redis read models that fanout maintains."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.context import gateway_of
from shared import timelines
from shared.ids import parse_id
from shared.records import home_key, public_key, tag_key

DEFAULT_LIMIT = 20
MAX_LIMIT = 40


class PageParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = DEFAULT_LIMIT
    local: bool = False
    remote: bool = False
    only_media: bool = False


def clamp(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


@get("/api/v1/timelines/home")
async def home(request: Request) -> Response:
    gw = gateway_of(request)
    _, me = await gw.user(request, scope="read")
    p = await params.read(request, PageParams, body=False)
    assert gw.redis is not None and gw.hydrator is not None
    ids = await timelines.page(gw.redis, home_key(me.id), limit=clamp(p.limit),
                               max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                               min_id=parse_id(p.min_id))
    found = await gw.hydrator.statuses(ids)
    shown = await gw.hydrator.without_authors([found[i] for i in ids if i in found],
                                              await gw.hidden(me.id))
    statuses = await gw.hydrator.render_statuses(shown, me.id)
    # Page edges come from the timeline, not from what survived filtering: a page whose entries
    # were all hidden must still lead on to the next one.
    headers = (responses.cursor_link_header(request, gw.base_url, ids[0], ids[-1]) if ids
               else {})
    return responses.json(statuses, headers=headers)


async def _render_page(request: Request, ids: list[int], me_id: int,
                       keep=lambda status: True) -> Response:
    gw = gateway_of(request)
    assert gw.hydrator is not None
    found = await gw.hydrator.statuses(ids)
    statuses = [found[i] for i in ids if i in found and keep(found[i])]
    shown = await gw.hydrator.without_authors(statuses, await gw.hidden(me_id))
    rendered = await gw.hydrator.render_statuses(shown, me_id)
    headers = (responses.cursor_link_header(request, gw.base_url, ids[0], ids[-1]) if ids
               else {})
    return responses.json(rendered, headers=headers)


@get("/api/v1/timelines/public")
async def public(request: Request) -> Response:
    """The reader's network: public posts of its members (``local`` changes nothing, since every
    post of a network is local to it; ``remote`` and ``only_media`` find nothing)."""
    gw = gateway_of(request)
    _, me = await gw.user(request, scope="read")
    p = await params.read(request, PageParams, body=False)
    if p.remote or p.only_media:
        return responses.json([])
    assert gw.redis is not None
    ids = await timelines.page(gw.redis, public_key(me.network_id), limit=clamp(p.limit),
                               max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                               min_id=parse_id(p.min_id))
    return await _render_page(request, ids, me.id)


class TagParams(PageParams):
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []


@get("/api/v1/timelines/tag/{hashtag:str}")
async def tag(request: Request, hashtag: FromPath[str]) -> Response:
    gw = gateway_of(request)
    _, me = await gw.user(request, scope="read")
    p = await params.read(request, TagParams, body=False)
    if p.remote or p.only_media:
        return responses.json([])
    wanted = [t.lower().lstrip("#") for t in [hashtag, *p.any] if t]
    limit = clamp(p.limit)
    assert gw.redis is not None
    merged: set[int] = set()
    for name in dict.fromkeys(wanted):
        merged.update(await timelines.page(
            gw.redis, tag_key(me.network_id, name), limit=limit, max_id=parse_id(p.max_id),
            since_id=parse_id(p.since_id), min_id=parse_id(p.min_id)))
    if parse_id(p.min_id) is not None:
        ids = sorted(merged)[:limit][::-1]  # the entries just above min_id, newest first
    else:
        ids = sorted(merged, reverse=True)[:limit]
    need = {t.lower().lstrip("#") for t in p.all}
    refuse = {t.lower().lstrip("#") for t in p.none}
    return await _render_page(
        request, ids, me.id,
        keep=lambda s: need <= set(s.tags) and not refuse & set(s.tags))


ROUTES = [home, public, tag]
