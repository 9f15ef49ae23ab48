"""A page of a timeline read from the Redis read models that fanout maintains: its paging
parameters, and the page rendered for the reader with its Link header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response

from services.gateway import params, responses
from services.gateway.context import gateway_of
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


async def render_page(request: Request[Any, Any, Any], ids: list[int], me_id: int,
                      keep: Callable[[StatusRecord], bool] | None = None, *,
                      context: str) -> Response[Any]:
    """A page of a Redis timeline (``ids``, newest first) for the reader, with its Link; the
    reader's content filters applied in ``context`` (home for lists, public for the others,
    as Mastodon)."""
    gw = gateway_of(request)
    hidden, filters = await gw.reader_cache(me_id)
    body = await gw.hydrator.page(ids, me_id, hidden=hidden, keep=keep, filters=filters,
                                  context=context)
    headers = (responses.cursor_link_header(request, gw.base_url, ids[0], ids[-1]) if ids
               else {})
    return responses.raw_json(body, headers=headers)
