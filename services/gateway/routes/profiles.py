"""Profiles: editing one's own, finding people (lookup, search, suggestions), and what a
profile lists (statuses, followers, following). Registered before routes/accounts.py, so that
literal paths such as /accounts/lookup are not taken for an account id."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch
from litestar.datastructures import UploadFile
from litestar.params import FromPath

from services.gateway import params, responses, tokens
from services.gateway.application import uploads
from services.gateway.application.visible_pages import fill_page
from services.gateway.context import Gateway, gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.contracts.verb import Verb
from shared.ids import parse_id
from shared.records import StatusRecord

# Statuses read per round for a profile page (the posts service's most).
AUTHOR_BATCH = 40

# --- the signed-in account's profile ------------------------------------------------------------


class FieldParams(params.Params):
    name: str = ""
    value: str = ""


class SourceParams(params.Params):
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None


class UpdateCredentialsParams(params.Params):
    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    # Form: fields_attributes[0][name]=...; JSON: a list, or an object keyed by position.
    fields_attributes: list[FieldParams] | dict[str, FieldParams] | None = None
    # Pictures: uploaded files (multipart, as Mastodon clients send them), processed by posts'
    # media worker, which sets them on the profile; or Hubbub's http(s) URLs of pictures.
    avatar: Any = None
    header: Any = None
    avatar_url: str | None = None
    header_url: str | None = None
    source: SourceParams | None = None
    title: str | None = None  # Hubbub: job title
    department: str | None = None
    # Sent by current Mastodon clients; Hubbub has no such settings, so they change nothing.
    hide_collections: bool | None = None
    indexable: bool | None = None


def _picture_url(upload: Any, url: str | None, name: str) -> str | None:
    """A picture given as a URL (``<name>_url``, or a string where a file goes); None for an
    upload (set by the media worker) or nothing."""
    if isinstance(upload, UploadFile):
        return url
    if upload is not None and not isinstance(upload, str):
        raise errors.Invalid(f"Validation failed: {name} must be a picture file",
                             {name: [(errors.INVALID, "must be a picture file")]})
    return url if url is not None else upload


async def _upload_pictures(gw: Gateway, account_id: int, p: UpdateCredentialsParams) -> None:
    """Uploaded avatar and header: stored and processed like attachments; the media worker
    sets each on the profile (graph owns profiles). Waits for that a bounded time, so that the
    answer shows the new pictures as Mastodon's does; 422 if processing refused one (nothing
    else changed yet). Past the wait the answer shows the profile as it is, and the picture
    follows when processed."""
    pending = []
    for purpose, file in (("avatar", p.avatar), ("header", p.header)):
        if isinstance(file, UploadFile):
            info = await uploads.upload(gw, account_id, file,
                                        purpose="avatar" if purpose == "avatar" else "header")
            pending.append((purpose, info))
    for purpose, created in pending:
        done = await uploads.processed(gw, created)
        if done.state == "failed":
            message = done.failure or "The file could not be processed"
            raise errors.Invalid(f"Validation failed: {purpose}: {message}",
                                 {purpose: [(errors.INVALID, message)]})


def _fields(raw: list[FieldParams] | dict[str, FieldParams] | None
            ) -> list[graph_api.ProfileField] | None:
    if raw is None:
        return None
    return [graph_api.ProfileField(name=f.name, value=f.value)
            for f in params.positional(raw, "fields_attributes")]


def render_credentials(gw: Gateway, creds: graph_api.CredentialAccount) -> dict[str, Any]:
    return mastodon.credential_account(creds.account, gw.base_url, privacy=creds.privacy,
                                       sensitive=creds.sensitive, language=creds.language)


async def _update(request: Request[Any, Any, Any],
                  change: graph_api.UpdateProfile) -> Response[Any]:
    gw = gateway_of(request)
    creds = await bus.call(gw.nc, graph_api.ACCOUNT_UPDATE, change)
    return responses.json(render_credentials(gw, creds))


@patch("/api/v1/accounts/update_credentials", opt=needs("write:accounts"),
       request_max_body_size=uploads.MAX_PROFILE_REQUEST_BYTES)
async def update_credentials(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    uploads.check_declared_size(request.content_length, uploads.MAX_PROFILE_REQUEST_BYTES)
    _, me = await gw.user(request)
    p = await params.read(request, UpdateCredentialsParams)
    source = p.source or SourceParams()
    await _upload_pictures(gw, me.id, p)
    return await _update(request, graph_api.UpdateProfile(
        account_id=me.id, display_name=p.display_name, note=p.note, locked=p.locked, bot=p.bot,
        discoverable=p.discoverable, fields=_fields(p.fields_attributes),
        avatar_url=_picture_url(p.avatar, p.avatar_url, "avatar"),
        header_url=_picture_url(p.header, p.header_url, "header"),
        title=p.title, department=p.department, privacy=source.privacy,
        sensitive=source.sensitive, language=source.language))


@delete("/api/v1/profile/avatar", status_code=200, opt=needs("write:accounts"))
async def delete_avatar(request: Request[Any, Any, Any]) -> Response[Any]:
    _, me = await gateway_of(request).user(request)
    return await _update(request, graph_api.UpdateProfile(account_id=me.id, avatar_url=""))


@delete("/api/v1/profile/header", status_code=200, opt=needs("write:accounts"))
async def delete_header(request: Request[Any, Any, Any]) -> Response[Any]:
    _, me = await gateway_of(request).user(request)
    return await _update(request, graph_api.UpdateProfile(account_id=me.id, header_url=""))


# --- finding people -----------------------------------------------------------------------------


class LookupParams(params.Params):
    acct: str


@get("/api/v1/accounts/lookup", opt=needs("read:accounts"))
async def lookup(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, LookupParams, body=False)
    found = await bus.call(gw.nc, graph_api.ACCOUNT_LOOKUP_ACCT,
                           graph_api.LookupAccount(reader_id=me.id, acct=p.acct))
    return responses.json(mastodon.account(found, gw.base_url))


class SearchParams(params.Params):
    q: str
    limit: int = 40
    offset: int = 0
    resolve: bool = False  # no remote servers to ask: Hubbub knows every account already
    following: bool = False


@get("/api/v1/accounts/search", opt=needs("read:accounts"))
async def search(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, SearchParams, body=False)
    reply = await bus.call(gw.nc, graph_api.ACCOUNT_SEARCH, graph_api.SearchAccounts(
        reader_id=me.id, q=p.q, limit=p.limit, offset=p.offset, following=p.following))
    return responses.json([mastodon.account(a, gw.base_url) for a in reply.accounts])


class SuggestionParams(params.Params):
    limit: int = 40


async def _suggestions(request: Request[Any, Any, Any]) -> tuple[Gateway,
                       list[graph_api.Suggestion]]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, SuggestionParams, body=False)
    reply = await bus.call(gw.nc, graph_api.ACCOUNT_SUGGESTIONS,
                           graph_api.Suggestions(account_id=me.id, limit=p.limit))
    return gw, reply.suggestions


@get("/api/v2/suggestions", opt=needs("read"))
async def suggestions(request: Request[Any, Any, Any]) -> Response[Any]:
    gw, found = await _suggestions(request)
    return responses.json([{"source": s.source, "sources": [s.source],
                             "account": mastodon.account(s.account, gw.base_url)}
                           for s in found])


@get("/api/v1/suggestions", opt=needs("read"))
async def suggestions_v1(request: Request[Any, Any, Any]) -> Response[Any]:
    """Deprecated by Mastodon for v2, still asked by older clients: the accounts alone."""
    gw, found = await _suggestions(request)
    return responses.json([mastodon.account(s.account, gw.base_url) for s in found])


# --- what a profile lists -----------------------------------------------------------------------


class StatusesParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 20
    only_media: bool = False
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    pinned: bool = False
    tagged: str | None = None


async def _reader(request: Request[Any, Any, Any], gw: Gateway) -> tokens.Caller | None:
    """The caller, anonymous allowed; a user token must still belong to an active account."""
    caller = await gw.caller(request)
    if caller is not None and caller.account_id is not None:
        await gw.user(request)
    return caller


async def _visible_target(gw: Gateway, caller: tokens.Caller | None, raw_id: str) -> int:
    """The account's id if the reader may see it, else 404 exactly as for an unknown id: another
    network's account (not sharing a community) must not be told apart from none. Anonymous
    readers and app tokens see no account (as GET /api/v1/accounts/:id)."""
    account_id = parse_id(raw_id)
    reader_id = caller.account_id if caller else None
    if (account_id is None or reader_id is None
            or account_id not in await gw.visible_accounts(reader_id, [account_id])):
        raise errors.NotFound("Record not found")
    return account_id


@get("/api/v1/accounts/{account_id:str}/statuses", opt=needs("read:statuses", anonymous=True))
async def account_statuses(request: Request[Any, Any, Any],
                           account_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    caller = await _reader(request, gw)
    target_id = await _visible_target(gw, caller, account_id)
    p = await params.read(request, StatusesParams, body=False)
    tagged = p.tagged.strip().removeprefix("#").lower() if p.tagged else None
    viewer = await gw.viewer(caller)

    async def read(max_id: int | None, since_id: int | None, min_id: int | None
                   ) -> list[StatusRecord]:
        reply = await bus.call(gw.nc, posts_api.STATUS_BY_AUTHOR, posts_api.AuthorStatuses(
            account_id=target_id, exclude_replies=p.exclude_replies,
            exclude_reblogs=p.exclude_reblogs, pinned=p.pinned, tagged=tagged or None,
            only_media=p.only_media,
            page=posts_api.Page(max_id=max_id, since_id=since_id, min_id=min_id,
                                limit=AUTHOR_BATCH)))
        return reply.statuses

    reader_id = caller.account_id if caller else None
    filters = await gw.hydrator.reader_filters(reader_id)  # context ``account``

    async def keep(statuses: list[StatusRecord]) -> list[StatusRecord]:
        return await gw.hydrator.without_filtered(
            await gw.hydrator.visible(statuses, viewer), filters, "account")

    # The profile is stored for everyone and filtered here: read on past hidden statuses, and
    # page by the statuses returned, whose ids alone the reader may learn.
    kept = await fill_page(read, keep, lambda s: s.id, max_id=parse_id(p.max_id),
                           since_id=parse_id(p.since_id), min_id=parse_id(p.min_id),
                           limit=max(1, min(p.limit, 40)), batch=AUTHOR_BATCH)
    shaped = await gw.hydrator.render_statuses(kept, reader_id, filters, "account")
    headers = (responses.cursor_link_header(request, gw.base_url, kept[0].id, kept[-1].id)
               if kept else {})
    return responses.json(shaped, headers=headers)


class PageParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


def id_page(p: PageParams, max_limit: int = 80) -> graph_api.IdPage:
    return graph_api.IdPage(max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                            min_id=parse_id(p.min_id), limit=max(1, min(p.limit, max_limit)))


async def _account_list(request: Request[Any, Any, Any], raw_id: str,
                        verb: Verb[graph_api.AccountListPage, graph_api.Accounts]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    account_id = parse_id(raw_id)
    if account_id is None:
        raise errors.NotFound("Record not found")
    p = await params.read(request, PageParams, body=False)
    reply = await bus.call(gw.nc, verb, graph_api.AccountListPage(
        account_id=account_id, reader_id=me.id, page=id_page(p)))
    shaped = [mastodon.account(a, gw.base_url) for a in reply.accounts]
    return responses.json(shaped, headers=responses.link_header(request, gw.base_url, shaped))


@get("/api/v1/accounts/{account_id:str}/followers", opt=needs("read:accounts"))
async def followers(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    return await _account_list(request, account_id, graph_api.ACCOUNT_FOLLOWERS)


@get("/api/v1/accounts/{account_id:str}/following", opt=needs("read:accounts"))
async def following(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    return await _account_list(request, account_id, graph_api.ACCOUNT_FOLLOWING)


ROUTES = [update_credentials, delete_avatar, delete_header, lookup, search, suggestions,
          suggestions_v1, account_statuses, followers, following]
