"""Content filters, Mastodon's v2 API (filters: title, contexts, action, expiry, with their
keywords and statuses) and its v1 API (a keyword each, with its filter's settings). Graph keeps
them (services/graph/filters.py); the gateway applies them on every read
(services/gateway/hydrate/reader_filters.py). JSON and form bodies alike: keywords as
``keywords_attributes[][keyword]`` or ``keywords_attributes[0][keyword]`` (params.positional)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.statuses import find_visible
from services.gateway.context import gateway_of
from services.gateway.presenters import filters as presenters
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import filters as api
from shared.contracts import graph as graph_api
from shared.contracts.verb import Rep, Req, Verb
from shared.ids import parse_id

READ_FILTERS = needs("read:filters")
WRITE_FILTERS = needs("write:filters")
BASE = "/api/v2/filters"


def id_or_404(raw: str | int | None) -> int:
    parsed = parse_id(str(raw)) if raw is not None else None
    if parsed is None:
        raise errors.NotFound("Record not found")
    return parsed


class KeywordParams(params.Params):
    keyword: str | None = None
    whole_word: bool | None = None
    id: str | int | None = None
    destroy: bool = msgspec.field(default=False, name="_destroy")


class FilterParams(params.Params):
    title: str | None = None
    context: list[str] | str | None = None
    filter_action: str | None = None
    # Seconds; empty or null: never expires; not given: unchanged (an update).
    expires_in: int | str | None | msgspec.UnsetType = msgspec.UNSET
    keywords_attributes: list[KeywordParams] | dict[str, KeywordParams] = []


def contexts(raw: list[str] | str | None) -> list[str] | None:
    return [raw] if isinstance(raw, str) else raw


def expiry(raw: int | str | None | msgspec.UnsetType) -> tuple[bool, int | None]:
    """(whether the expiry is set, seconds from now or None for never): ``expires_in`` as
    clients send it (a number, its text, or empty for never)."""
    if raw is msgspec.UNSET:
        return False, None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return True, None
    try:
        return True, int(raw)
    except ValueError as exc:
        raise errors.Invalid("Validation failed: expires_in must be a number of seconds",
                             {"expires_in": [(errors.INVALID, "is invalid")]}) from exc


def keyword_changes(raw: list[KeywordParams] | dict[str, KeywordParams]
                    ) -> list[api.KeywordChange]:
    found = params.positional(raw, "keywords_attributes")
    if len(found) > api.MAX_KEYWORDS:  # refused before it travels: graph checks it too
        raise errors.Invalid(
            f"Validation failed: a filter holds at most {api.MAX_KEYWORDS} keywords "
            f"({len(found)} given); nothing was saved",
            {"keywords_attributes": [(errors.TOO_LONG, "too many")]})
    return [api.KeywordChange(id=id_or_404(k.id) if k.id not in (None, "") else None,
                              keyword=k.keyword, whole_word=k.whole_word, destroy=k.destroy)
            for k in found]


def save_filter(account_id: int, p: FilterParams, filter_id: int | None = None
                ) -> api.SaveFilter:
    set_expiry, expires_in = expiry(p.expires_in)
    return api.SaveFilter(account_id=account_id, id=filter_id, title=p.title,
                          context=contexts(p.context), action=p.filter_action,
                          expires_in=expires_in, set_expiry=set_expiry,
                          keywords=keyword_changes(p.keywords_attributes))


async def _ask(request: Request[Any, Any, Any], verb: Verb[Req, Rep], make: Any) -> Rep:
    """The signed-in owner asks graph (``make``: the request, from the owner's id)."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    return await bus.call(gw.nc, verb, make(me.id))


# --- filters -----------------------------------------------------------------------------------

@get(BASE, opt=READ_FILTERS)
async def list_filters(request: Request[Any, Any, Any]) -> Response[Any]:
    found = await _ask(request, graph_api.FILTERS_LIST,
                       lambda me: api.OwnerFilters(account_id=me))
    return responses.json([presenters.filter_json(f) for f in found.filters])


@post(BASE, opt=WRITE_FILTERS)
async def create_filter(request: Request[Any, Any, Any]) -> Response[Any]:
    p = await params.read(request, FilterParams)
    saved = await _ask(request, graph_api.FILTER_SAVE, lambda me: save_filter(me, p))
    return responses.json(presenters.filter_json(saved))


@get(f"{BASE}/{{filter_id:str}}", opt=READ_FILTERS)
async def get_filter(request: Request[Any, Any, Any], filter_id: FromPath[str]) -> Response[Any]:
    found = await _ask(request, graph_api.FILTER_GET,
                       lambda me: api.FilterRef(account_id=me, id=id_or_404(filter_id)))
    return responses.json(presenters.filter_json(found))


@put(f"{BASE}/{{filter_id:str}}", opt=WRITE_FILTERS)
async def update_filter(request: Request[Any, Any, Any], filter_id: FromPath[str]
                        ) -> Response[Any]:
    target = id_or_404(filter_id)
    p = await params.read(request, FilterParams)
    saved = await _ask(request, graph_api.FILTER_SAVE, lambda me: save_filter(me, p, target))
    return responses.json(presenters.filter_json(saved))


@delete(f"{BASE}/{{filter_id:str}}", status_code=200, opt=WRITE_FILTERS)
async def delete_filter(request: Request[Any, Any, Any], filter_id: FromPath[str]
                        ) -> Response[Any]:
    await _ask(request, graph_api.FILTER_DELETE,
               lambda me: api.FilterRef(account_id=me, id=id_or_404(filter_id)))
    return responses.json({})


# --- keywords ----------------------------------------------------------------------------------

class KeywordBody(params.Params):
    keyword: str | None = None
    whole_word: bool | None = None


@get(f"{BASE}/{{filter_id:str}}/keywords", opt=READ_FILTERS)
async def list_keywords(request: Request[Any, Any, Any], filter_id: FromPath[str]
                        ) -> Response[Any]:
    found = await _ask(request, graph_api.FILTER_GET,
                       lambda me: api.FilterRef(account_id=me, id=id_or_404(filter_id)))
    return responses.json([presenters.keyword(k) for k in found.keywords])


@post(f"{BASE}/{{filter_id:str}}/keywords", opt=WRITE_FILTERS)
async def add_keyword(request: Request[Any, Any, Any], filter_id: FromPath[str]
                      ) -> Response[Any]:
    target = id_or_404(filter_id)
    p = await params.read(request, KeywordBody)
    added = await _ask(request, graph_api.FILTER_KEYWORD_ADD, lambda me: api.SaveKeyword(
        account_id=me, filter_id=target, keyword=p.keyword, whole_word=p.whole_word))
    return responses.json(presenters.keyword(added.keyword))


@get(f"{BASE}/keywords/{{keyword_id:str}}", opt=READ_FILTERS)
async def get_keyword(request: Request[Any, Any, Any], keyword_id: FromPath[str]
                      ) -> Response[Any]:
    found = await _ask(request, graph_api.FILTER_KEYWORD_GET,
                       lambda me: api.FilterRef(account_id=me, id=id_or_404(keyword_id)))
    return responses.json(presenters.keyword(found.keyword))


@put(f"{BASE}/keywords/{{keyword_id:str}}", opt=WRITE_FILTERS)
async def update_keyword(request: Request[Any, Any, Any], keyword_id: FromPath[str]
                         ) -> Response[Any]:
    target = id_or_404(keyword_id)
    p = await params.read(request, KeywordBody)
    changed = await _ask(request, graph_api.FILTER_KEYWORD_UPDATE, lambda me: api.SaveKeyword(
        account_id=me, id=target, keyword=p.keyword, whole_word=p.whole_word))
    return responses.json(presenters.keyword(changed.keyword))


@delete(f"{BASE}/keywords/{{keyword_id:str}}", status_code=200, opt=WRITE_FILTERS)
async def delete_keyword(request: Request[Any, Any, Any], keyword_id: FromPath[str]
                         ) -> Response[Any]:
    await _ask(request, graph_api.FILTER_KEYWORD_DELETE,
               lambda me: api.FilterRef(account_id=me, id=id_or_404(keyword_id)))
    return responses.json({})


# --- statuses ----------------------------------------------------------------------------------

class StatusBody(params.Params):
    status_id: str | int


@get(f"{BASE}/{{filter_id:str}}/statuses", opt=READ_FILTERS)
async def list_statuses(request: Request[Any, Any, Any], filter_id: FromPath[str]
                        ) -> Response[Any]:
    found = await _ask(request, graph_api.FILTER_GET,
                       lambda me: api.FilterRef(account_id=me, id=id_or_404(filter_id)))
    return responses.json([presenters.filter_status(s) for s in found.statuses])


@post(f"{BASE}/{{filter_id:str}}/statuses", opt=WRITE_FILTERS)
async def add_status(request: Request[Any, Any, Any], filter_id: FromPath[str]
                     ) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    target = id_or_404(filter_id)
    p = await params.read(request, StatusBody)
    # Only a status the owner may see (404 as for none: its existence is not told).
    status = await find_visible(gw, caller, id_or_404(p.status_id))
    if status is None:
        raise errors.NotFound("Record not found")
    added = await bus.call(gw.nc, graph_api.FILTER_STATUS_ADD, api.AddFilterStatus(
        account_id=me.id, filter_id=target, status_id=status.id))
    return responses.json(presenters.filter_status(added))


@get(f"{BASE}/statuses/{{filter_status_id:str}}", opt=READ_FILTERS)
async def get_status(request: Request[Any, Any, Any], filter_status_id: FromPath[str]
                     ) -> Response[Any]:
    found = await _ask(request, graph_api.FILTER_STATUS_GET,
                       lambda me: api.FilterRef(account_id=me, id=id_or_404(filter_status_id)))
    return responses.json(presenters.filter_status(found))


@delete(f"{BASE}/statuses/{{filter_status_id:str}}", status_code=200, opt=WRITE_FILTERS)
async def delete_status(request: Request[Any, Any, Any], filter_status_id: FromPath[str]
                        ) -> Response[Any]:
    await _ask(request, graph_api.FILTER_STATUS_DELETE,
               lambda me: api.FilterRef(account_id=me, id=id_or_404(filter_status_id)))
    return responses.json({})


# --- v1: one keyword each, as Mastodon maps them --------------------------------------------

V1 = "/api/v1/filters"


class V1FilterParams(params.Params):
    phrase: str | None = None
    context: list[str] | str | None = None
    irreversible: bool | None = None
    whole_word: bool | None = None
    expires_in: int | str | None | msgspec.UnsetType = msgspec.UNSET


def v1_json(found: api.KeywordFound) -> dict[str, Any]:
    return presenters.v1_filter(found.keyword, found.filter)


def save_v1(account_id: int, p: V1FilterParams, keyword_id: int | None = None
            ) -> api.SaveV1Filter:
    set_expiry, expires_in = expiry(p.expires_in)
    return api.SaveV1Filter(account_id=account_id, id=keyword_id, phrase=p.phrase,
                            context=contexts(p.context), irreversible=p.irreversible,
                            whole_word=p.whole_word, expires_in=expires_in,
                            set_expiry=set_expiry)


@get(V1, opt=READ_FILTERS)
async def list_v1(request: Request[Any, Any, Any]) -> Response[Any]:
    """Every keyword of every filter, each as a v1 filter."""
    found = await _ask(request, graph_api.FILTERS_LIST,
                       lambda me: api.OwnerFilters(account_id=me))
    return responses.json([presenters.v1_filter(k, f) for f in found.filters
                           for k in f.keywords])


@post(V1, opt=WRITE_FILTERS)
async def create_v1(request: Request[Any, Any, Any]) -> Response[Any]:
    p = await params.read(request, V1FilterParams)
    saved = await _ask(request, graph_api.FILTER_V1_SAVE, lambda me: save_v1(me, p))
    return responses.json(v1_json(saved))


@get(f"{V1}/{{filter_id:str}}", opt=READ_FILTERS)
async def get_v1(request: Request[Any, Any, Any], filter_id: FromPath[str]) -> Response[Any]:
    found = await _ask(request, graph_api.FILTER_KEYWORD_GET,
                       lambda me: api.FilterRef(account_id=me, id=id_or_404(filter_id)))
    return responses.json(v1_json(found))


@put(f"{V1}/{{filter_id:str}}", opt=WRITE_FILTERS)
async def update_v1(request: Request[Any, Any, Any], filter_id: FromPath[str]) -> Response[Any]:
    target = id_or_404(filter_id)
    p = await params.read(request, V1FilterParams)
    saved = await _ask(request, graph_api.FILTER_V1_SAVE, lambda me: save_v1(me, p, target))
    return responses.json(v1_json(saved))


@delete(f"{V1}/{{filter_id:str}}", status_code=200, opt=WRITE_FILTERS)
async def delete_v1(request: Request[Any, Any, Any], filter_id: FromPath[str]) -> Response[Any]:
    await _ask(request, graph_api.FILTER_V1_DELETE,
               lambda me: api.FilterRef(account_id=me, id=id_or_404(filter_id)))
    return responses.json({})


ROUTES = [list_v1, create_v1, get_v1, update_v1, delete_v1, list_filters, create_filter,
          get_filter, update_filter, delete_filter, list_keywords, add_keyword, get_keyword,
          update_keyword, delete_keyword, list_statuses, add_status, get_status, delete_status]
