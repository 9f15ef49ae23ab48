"""Statuses: post, read (one, several, a thread), edit with history, delete-and-redraft.
Every read goes through the visibility policy."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application import scheduled_statuses, uploads
from services.gateway.application.statuses import status_id_or_404, visible_status
from services.gateway.application.thread_mutes import mark_muted, muted_threads
from services.gateway.context import gateway_of
from services.gateway.presenters.cards import card
from services.gateway.presenters.mastodon import iso
from services.gateway.scopes import needs
from services.gateway.streaming.shared_statuses import render_new_status
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.ids import parse_id

# Public statuses are readable without a token, as on Mastodon; a token given must grant
# read:statuses (a write-only token reads nothing, not even a direct message to its owner).
READ_STATUSES = needs("read:statuses", anonymous=True)
WRITE_STATUSES = needs("write:statuses")


class PollParams(params.Params):
    options: list[str]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False


class StatusParams(params.Params):
    status: str = ""
    in_reply_to_id: str | None = None
    sensitive: bool = False
    spoiler_text: str = ""
    visibility: str | None = None  # the account's default (source[privacy]) when not given
    language: str | None = None
    media_ids: list[str | int] = []
    poll: PollParams | None = None
    scheduled_at: str | None = None
    quoted_status_id: str | None = None
    quote_approval_policy: str | None = None
    community_id: str | int | None = None  # Hubbub: post into a community


class MediaAttributeParams(params.Params):
    id: str | int
    description: str | None = None
    focus: str | None = None
    thumbnail: Any = None  # Mastodon takes none here either (PUT /api/v1/media/:id does)


class EditParams(params.Params):
    status: str = ""
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    # Not given: the attachments stay as they are. (A form cannot send an empty list: it
    # sends media_ids[]= , one empty id, which means none.)
    media_ids: list[str | int] | None = None
    # JSON: a list; a form: media_attributes[0][id]=..., an object keyed by position. Each
    # item is converted after the whole request's checks (params: depth, NUL...).
    media_attributes: list[Any] | dict[str, Any] = []
    poll: PollParams | None = None


def poll_spec(p: PollParams | None) -> posts_api.PollSpec | None:
    if p is None:
        return None
    return posts_api.PollSpec(options=p.options, expires_in=p.expires_in, multiple=p.multiple)


def media_ids(raw: list[str | int]) -> list[int]:
    """Uploads to attach: ids as Mastodon clients send them; one that is no id is refused as
    media that is not the caller's (422)."""
    ids = []
    for value in raw:
        if value == "":
            continue  # a form's way of saying "none"
        parsed = parse_id(str(value))
        if parsed is None:
            raise errors.Invalid("Validation failed: media_ids names media that is not yours "
                                 "to attach")
        ids.append(parsed)
    return ids


def media_attributes(raw: list[Any] | dict[str, Any]) -> list[posts_api.MediaAttribute]:
    if isinstance(raw, dict):
        raw = [raw[k] for k in sorted(raw, key=lambda k: int(k) if k.isdigit() else 0)]
    found = []
    for value in raw:
        if not isinstance(value, dict):
            raise errors.Invalid("Validation failed: media_attributes must be objects with an "
                                 "id", {"media_attributes": [(errors.INVALID, "is invalid")]})
        item = params.convert(value, MediaAttributeParams)
        parsed = parse_id(str(item.id))
        if parsed is None:
            raise errors.Invalid("Validation failed: media_attributes names media that is not "
                                 "attached")
        uploads.check_description(item.description)
        found.append(posts_api.MediaAttribute(id=parsed, description=item.description,
                                              focus=uploads.parse_focus(item.focus)))
    return found


@post("/api/v1/statuses", opt=WRITE_STATUSES)
async def create_status(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    p = await params.read(request, StatusParams)
    # Blank is not given, as Rails reads it; anything else must be a time (422 naming it).
    scheduled_at = params.moment_ms(p.scheduled_at, "scheduled_at") if p.scheduled_at else None
    reply_to = status_id_or_404(p.in_reply_to_id) if p.in_reply_to_id else None
    community = None
    if p.community_id:
        community = parse_id(str(p.community_id))
        if community is None:
            raise errors.NotFound("Record not found")
    key = request.headers.get("idempotency-key")
    visibility = p.visibility or me.default_privacy  # the author's source[privacy]
    if visibility is None:  # a record cached before it carried the default
        defaults = await bus.call(gw.nc, graph_api.ACCOUNT_CREDENTIALS,
                                  graph_api.GetCredentials(account_id=me.id))
        visibility = defaults.privacy
    create = posts_api.CreateStatus(
        account_id=me.id, network_id=me.network_id, text=p.status,
        visibility=params.visibility(visibility), spoiler_text=p.spoiler_text,
        sensitive=p.sensitive,
        language=p.language, in_reply_to_id=reply_to, poll=poll_spec(p.poll),
        community_id=community, media_ids=media_ids(p.media_ids),
        # Keys are scoped per app and account, as Mastodon scopes them per token.
        idempotency_key=f"{caller.app_id}:{key}" if key else None,
        author_silenced=me.silenced, author_sensitized=me.sensitized,
    )
    if scheduled_at is not None:  # a ScheduledStatus, not a Status (Mastodon's answer)
        scheduled = await bus.call(gw.nc, posts_api.SCHEDULED_STATUS_CREATE,
                                   posts_api.ScheduleStatus(
                                       status=create, scheduled_at=scheduled_at,
                                       application_id=caller.app_id, idempotency=key),
                                   timeout=10)
        return responses.json(await scheduled_statuses.one(gw, scheduled))
    status = await bus.call(gw.nc, posts_api.STATUS_CREATE, create, timeout=10)
    if key:  # a retry may return an older status, with the author's favourite or bookmark
        [rendered] = await gw.hydrator.render_statuses([status], me.id)
        return responses.json(rendered)
    # A status created just now has no favourite, reblog, bookmark, pin or vote from its author
    # (no round trip for those flags): its JSON is the one streamed to its readers, rendered
    # once for both.
    payload = await render_new_status(gw, status, me)
    if payload is None:
        raise errors.NotFound("Record not found")  # its author was deleted meanwhile
    return responses.raw_json(payload.encode())


class ManyParams(params.Params):
    id: list[str] | str = []


@get("/api/v1/statuses", opt=READ_STATUSES)
async def get_statuses(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller = await gw.caller(request)
    p = await params.read(request, ManyParams, body=False)
    raw = p.id if isinstance(p.id, list) else [p.id]
    ids = [i for i in (parse_id(r) for r in raw[:40]) if i is not None]
    found = await gw.hydrator.statuses(ids)
    kept = await gw.hydrator.visible([found[i] for i in ids if i in found],
                                     await gw.viewer(caller))
    viewer_id = caller.account_id if caller else None
    # Asked for by id: shown with what the reader's filters say (``thread``, the context of a
    # status opened on its own), never left out.
    return responses.json(await gw.hydrator.render_statuses(
        kept, viewer_id, await gw.hydrator.reader_filters(viewer_id), "thread", hide=False))


@get("/api/v1/statuses/{status_id:str}", opt=READ_STATUSES)
async def get_status(request: Request[Any, Any, Any], status_id: FromPath[str]) -> Response[Any]:
    gw, status, viewer_id = await visible_status(request, status_id)
    [rendered] = await gw.hydrator.render_statuses(
        [status], viewer_id, await gw.hydrator.reader_filters(viewer_id), "thread", hide=False)
    mark_muted([rendered], [status], await muted_threads(gw, viewer_id, [status]))
    return responses.json(rendered)


@get("/api/v1/statuses/{status_id:str}/card", opt=READ_STATUSES)
async def status_card(request: Request[Any, Any, Any], status_id: FromPath[str]
                      ) -> Response[Any]:
    """The status's preview card, or ``{}`` without one (deprecated since Mastodon 3.0, which
    still answers it: the card is in the status's JSON)."""
    _, status, _ = await visible_status(request, status_id)
    return responses.json(card(status.card) if status.card is not None else {})


@get("/api/v1/statuses/{status_id:str}/context", opt=READ_STATUSES)
async def context(request: Request[Any, Any, Any], status_id: FromPath[str]) -> Response[Any]:
    gw, status, viewer_id = await visible_status(request, status_id)
    thread = await bus.call(gw.nc, posts_api.STATUS_THREAD,
                            posts_api.StatusAction(account_id=viewer_id or 0,
                                                   status_id=status.id))
    viewer = await gw.viewer(await gw.caller(request))
    ancestors = await gw.hydrator.visible(thread.ancestors, viewer)
    descendants = await gw.hydrator.visible(thread.descendants, viewer)
    filters = await gw.hydrator.reader_filters(viewer_id)  # ``thread``: a hide filter hides
    shown = {"ancestors": await gw.hydrator.render_statuses(ancestors, viewer_id, filters,
                                                            "thread"),
             "descendants": await gw.hydrator.render_statuses(descendants, viewer_id, filters,
                                                              "thread")}
    everyone = [*ancestors, *descendants]
    muted = await muted_threads(gw, viewer_id, everyone)
    for part in shown.values():
        mark_muted(part, everyone, muted)
    return responses.json(shown)


@put("/api/v1/statuses/{status_id:str}", opt=WRITE_STATUSES)
async def edit_status(request: Request[Any, Any, Any], status_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, EditParams)
    status = await bus.call(gw.nc, posts_api.STATUS_EDIT, posts_api.EditStatus(
        account_id=me.id, status_id=status_id_or_404(status_id), text=p.status,
        spoiler_text=p.spoiler_text, sensitive=p.sensitive, language=p.language,
        poll=poll_spec(p.poll),
        media_ids=media_ids(p.media_ids) if p.media_ids is not None else None,
        media_attributes=media_attributes(p.media_attributes)), timeout=10)
    [rendered] = await gw.hydrator.render_statuses([status], me.id)
    return responses.json(rendered)


class DeleteParams(params.Params):
    # Mastodon 4.2: delete the attachments at once, rather than keep them a day for a redraft.
    delete_media: bool = False


@delete("/api/v1/statuses/{status_id:str}", status_code=200, opt=WRITE_STATUSES)
async def delete_status(request: Request[Any, Any, Any], status_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, DeleteParams)
    status = await bus.call(gw.nc, posts_api.STATUS_DELETE, posts_api.DeleteStatus(
        account_id=me.id, status_id=status_id_or_404(status_id),
        delete_media=p.delete_media))
    [rendered] = await gw.hydrator.render_statuses([status], me.id)
    rendered["text"] = status.text  # the source, for delete-and-redraft
    return responses.json(rendered)


@get("/api/v1/statuses/{status_id:str}/history", opt=READ_STATUSES)
async def history(request: Request[Any, Any, Any], status_id: FromPath[str]) -> Response[Any]:
    gw, status, viewer_id = await visible_status(request, status_id)
    found = await bus.call(gw.nc, posts_api.STATUS_HISTORY, posts_api.StatusAction(
        account_id=viewer_id or 0, status_id=status.id))
    [current] = await gw.hydrator.render_statuses([status], viewer_id)
    return responses.json([{
        "content": edit.content_html,
        "spoiler_text": edit.spoiler_text,
        "sensitive": edit.sensitive,
        "created_at": iso(edit.created_at),
        "account": current["account"],
        "poll": {"options": [{"title": o} for o in edit.poll_options]}
        if edit.poll_options else None,
        "media_attachments": [],
        "emojis": [],
    } for edit in found.edits])


@get("/api/v1/statuses/{status_id:str}/source", opt=needs("read:statuses"))
async def source(request: Request[Any, Any, Any], status_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    parsed = status_id_or_404(status_id)
    status = (await gw.hydrator.statuses([parsed])).get(parsed)
    if status is None or status.account_id != me.id:
        raise errors.NotFound("Record not found")
    return responses.json({"id": str(status.id), "text": status.text,
                           "spoiler_text": status.spoiler_text})


ROUTES = [create_status, get_statuses, get_status, status_card, context, edit_status,
          delete_status, history, source]
