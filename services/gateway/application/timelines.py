"""A page of a timeline read from the Redis read models that fanout maintains: its paging
parameters, and the page rendered for the reader with its Link header."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response

from services.gateway import params, responses
from services.gateway.application.visible_pages import fill_page
from services.gateway.context import Gateway, gateway_of
from shared import bus
from shared.contracts import graph as graph_api
from shared.ids import parse_id
from shared.records import StatusRecord

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


async def silenced_strangers(gw: Gateway, ids: list[int], me_id: int) -> set[int]:
    """The authors of these statuses whom the network's moderators silenced and the reader does
    not follow: Mastodon's limit takes their posts out of the public timelines of everyone but
    their followers. Free while nobody on the page is silenced (the records are cached)."""
    if not ids:
        return set()
    statuses = await gw.hydrator.statuses(ids)
    authors = sorted({s.account_id for s in statuses.values()} - {me_id})
    silenced = [i for i, a in (await gw.hydrator.accounts(authors)).items() if a.silenced]
    if not silenced:
        return set()
    reply = await bus.call(gw.nc, graph_api.RELATIONSHIPS,
                           graph_api.GetRelationships(account_id=me_id, ids=silenced))
    return set(silenced) - {r.id for r in reply.relationships if r.following}


async def render_page(request: Request[Any, Any, Any], ids: list[int], me_id: int,
                      keep: Callable[[StatusRecord], bool] | None = None, *,
                      context: str, limit_silenced: bool = False) -> Response[Any]:
    """A page of a Redis timeline (``ids``, newest first) for the reader, with its Link; the
    reader's content filters applied in ``context`` (home for lists, public for the others,
    as Mastodon); with ``limit_silenced`` (the network and hashtag timelines), without the
    posts of silenced accounts the reader does not follow."""
    gw = gateway_of(request)
    hidden, filters = await gw.reader_cache(me_id)
    if limit_silenced:
        hidden = hidden | await silenced_strangers(gw, ids, me_id)
    body = await gw.hydrator.page(ids, me_id, hidden=hidden, keep=keep, filters=filters,
                                  context=context)
    headers = (responses.cursor_link_header(request, gw.base_url, ids[0], ids[-1]) if ids
               else {})
    return responses.raw_json(body, headers=headers)


async def with_media(gw: Gateway, p: PageParams,
                     read: Callable[[int | None, int | None, int | None], Awaitable[list[int]]]
                     ) -> list[int]:
    """``only_media``: a page of the timeline's statuses that have attachments, read on past
    those without (visible_pages.fill_page), newest first. ``read(max_id, since_id, min_id)``
    gives up to MAX_LIMIT ids of the timeline."""

    async def keep(ids: list[int]) -> list[int]:
        found = await gw.hydrator.statuses(ids)
        return [i for i in ids if i in found and found[i].media]

    return await fill_page(read, keep, lambda i: i, max_id=parse_id(p.max_id),
                           since_id=parse_id(p.since_id), min_id=parse_id(p.min_id),
                           limit=clamp(p.limit), batch=MAX_LIMIT)
