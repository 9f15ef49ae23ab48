"""Timelines read from the Redis read models that fanout maintains."""

from __future__ import annotations

from litestar import Request, Response, get

from services.gateway import params, responses
from services.gateway.context import gateway_of
from shared import timelines
from shared.ids import parse_id
from shared.records import home_key

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


ROUTES = [home]
