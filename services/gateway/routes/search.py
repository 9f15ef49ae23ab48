"""Search, Mastodon's ``GET /api/v2/search``: what clients' search tabs call.

- accounts: graph's account search (the same as ``/api/v1/accounts/search``: people the reader
  may see, the exact username first);
- hashtags: the hashtag the query names, if it is one (tags have no rows of their own in Hubbub,
  the name is their identity, so there is no list of known tags to match prefixes against);
- statuses: the status a query that is one of this server's status URLs points to, if the reader
  may see it. There is no full-text index of statuses: as on a Mastodon server without
  Elasticsearch, other queries find no statuses.

A signed-in reader only: the people and posts of an enterprise network are not for anonymous
callers (Mastodon lets anonymous callers search without ``resolve`` or ``offset``)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get

from services.gateway import params, responses, tokens
from services.gateway.application.statuses import find_visible
from services.gateway.context import Gateway, gateway_of
from services.gateway.presenters import mastodon
from services.gateway.presenters.tags import tag
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.ids import parse_id
from shared.records import AccountRecord

TYPES = ("accounts", "hashtags", "statuses")
# What a hashtag name may be (graph's normalize_tag decides; this only spares it queries that
# cannot be one).
_TAG_LIKE = re.compile(r"#?\w{1,100}")


class SearchParams(params.Params):
    q: str
    type: str | None = None
    resolve: bool = False  # no remote servers to ask: Hubbub knows every account already
    following: bool = False
    limit: int = 20
    offset: int = 0


@get("/api/v2/search", opt=needs("read:search"))
async def search(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    p = await params.read(request, SearchParams, body=False)
    if p.type is not None and p.type not in TYPES:
        raise errors.Invalid(f"Validation failed: type must be one of {', '.join(TYPES)}")
    limit = max(1, min(p.limit, 40))
    offset = max(0, p.offset)
    q = p.q.strip()
    wanted = set(TYPES) if p.type is None else {p.type}
    found: dict[str, list[Any]] = {name: [] for name in TYPES}
    if q and "accounts" in wanted:
        found["accounts"] = await _accounts(gw, me, q, limit, offset, p.following)
    if q and "hashtags" in wanted and offset == 0:
        found["hashtags"] = await _hashtags(gw, me, q)
    if q and "statuses" in wanted and offset == 0:
        found["statuses"] = await _statuses(gw, caller, q)
    return responses.json(found)


async def _accounts(gw: Gateway, me: AccountRecord, q: str, limit: int, offset: int,
                    following: bool) -> list[dict[str, Any]]:
    reply = await bus.call(gw.nc, graph_api.ACCOUNT_SEARCH, graph_api.SearchAccounts(
        reader_id=me.id, q=q, limit=limit, offset=offset, following=following))
    return [mastodon.account(a, gw.base_url) for a in reply.accounts]


async def _hashtags(gw: Gateway, me: AccountRecord, q: str) -> list[dict[str, Any]]:
    if not _TAG_LIKE.fullmatch(q):
        return []
    try:
        found = await bus.call(gw.nc, graph_api.TAG_GET,
                               graph_api.TagAction(account_id=me.id, tag=q))
    except errors.Invalid:  # not a hashtag name after all (only digits, say)
        return []
    return [tag(found, gw.base_url)]


async def _statuses(gw: Gateway, caller: tokens.Caller, q: str) -> list[dict[str, Any]]:
    """The status a URL of this server points to (``{base}/@user/{id}``), if visible."""
    prefix = f"{gw.base_url}/@"
    if not q.startswith(prefix):
        return []
    status_id = parse_id(q.removeprefix(prefix).rstrip("/").rpartition("/")[2])
    if status_id is None:
        return []
    status = await find_visible(gw, caller, status_id)
    if status is None:
        return []
    return await gw.hydrator.render_statuses([status], caller.account_id)


ROUTES = [search]
