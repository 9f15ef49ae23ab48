"""JSON responses and Mastodon's ``Link`` pagination header."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote_plus, urlencode

import msgspec
from litestar import Request, Response

from shared import errors
from shared.bounded_cache import BoundedCache

_encoder = msgspec.json.Encoder()


def json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(content=_encoder.encode(data), status_code=status,
                    media_type="application/json", headers=headers or {})


def raw_json(body: bytes, status: int = 200, headers: dict[str, str] | None = None
             ) -> Response[bytes]:
    """A body already encoded as JSON (e.g. a timeline page spliced from cached pieces)."""
    return Response(content=body, status_code=status, media_type="application/json",
                    headers=headers or {})


def error(message: str, status: int, details: errors.Details | None = None) -> Response[bytes]:
    """Mastodon's error body; a validation error's ``details`` name, per field, what is wrong
    as a code (``ERR_BLANK``...) clients translate, and in words."""
    if not details:
        return json({"error": message}, status)
    return json({"error": message, "details": {
        field: [{"error": code, "description": description} for code, description in problems]
        for field, problems in details.items()}}, status)


def link_header(request: Request[Any, Any, Any], base_url: str, items: list[dict[str, Any]], *,
                key: str = "id") -> dict[str, str]:
    """``next`` pages older (max_id = last), ``prev`` pages newer (min_id = first)."""
    if not items:
        return {}
    return cursor_link_header(request, base_url, items[0][key], items[-1][key])


def cursor_link_header(request: Request[Any, Any, Any], base_url: str, newest: Any, oldest: Any
                       ) -> dict[str, str]:
    """The same, for lists paged by something other than the items' ids (e.g. favourites)."""
    return {"Link": cursor_link(base_url, request.url.path, request.query_params.multi_items(),
                                newest, oldest)}


def cursor_link(base_url: str, path: str, query: Iterable[tuple[str, str]], newest: Any,
                oldest: Any) -> str:
    """The Link header's value for a page of ``path`` asked with ``query``."""
    kept = tuple([(k, v) for k, v in query if k not in ("max_id", "min_id", "since_id")])
    key = (base_url, path, kept)
    prefix = _link_prefixes.get(key)
    if prefix is None:
        # urlencode joins its pairs with "&": the cursor is one more pair after the others.
        encoded = urlencode(kept)
        prefix = _link_prefixes.put(key, f"<{base_url}{path}?{encoded}{'&' if encoded else ''}")
    return (f'{prefix}max_id={_cursor(oldest)}>; rel="next", '
            f'{prefix}min_id={_cursor(newest)}>; rel="prev"')


def _cursor(value: Any) -> str:
    return str(value) if type(value) is int else quote_plus(str(value))


# The start of the Link's URLs by the query's other parameters: a page's query is mostly one
# of a few (limit=20, ...); bounded, as queries come from clients. Keyed by all it is made of:
# nothing to go stale.
_link_prefixes: BoundedCache[tuple[str, str, tuple[tuple[str, str], ...]], str] = BoundedCache(
    1000)


def offset_link_header(request: Request[Any, Any, Any], base_url: str, offset: int, limit: int,
                       count: int) -> dict[str, str]:
    """Mastodon's Link of a list paged by offset (trends): ``next`` when the page is full
    (``count``: the entries ranked for it, before any was left out for the reader), ``prev``
    past the first page."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
    path = f"{base_url}{request.url.path}"

    def at(n: int) -> str:
        return f"<{path}?{urlencode([*kept, ('offset', str(n))])}>"

    links = []
    if count >= limit:
        links.append(f'{at(offset + count)}; rel="next"')
    if offset > 0:
        links.append(f'{at(max(0, offset - limit))}; rel="prev"')
    return {"Link": ", ".join(links)} if links else {}
