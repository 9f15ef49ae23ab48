"""Media: upload (v2, answering once a picture is processed, at once for the rest; v1, after
processing), read, describe, delete.

Mastodon's answers: from POST /api/v2/media, 200 with the URLs for a picture (processed in the
request: Hubbub waits a moment for its media worker, for a picture that is not large), 202 with
``url: null`` for a file still processed (video, audio, a large photo);
GET /api/v1/media/:id 206 until then, 200 once ready, 422 with the reason if processing refused
the file; someone else's media is a 404, exactly as none. Every route needs ``write:media``
(Mastodon asks it even to read an upload: only its uploader ever does)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application import uploads
from services.gateway.context import gateway_of
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import posts as posts_api
from shared.ids import parse_id

WRITE_MEDIA = needs("write:media")


class UploadParams(params.Params):
    file: Any = None
    thumbnail: Any = None
    description: str = ""
    focus: str | None = None


class UpdateParams(params.Params):
    description: str | None = None
    focus: str | None = None
    thumbnail: Any = None


async def _upload(request: Request[Any, Any, Any]) -> tuple[Any, posts_api.MediaInfo]:
    gw = gateway_of(request)
    uploads.check_declared_size(request.content_length)
    _, me = await gw.user(request)
    p = await params.read(request, UploadParams)
    info = await uploads.upload(gw, me.id, p.file, description=p.description,
                                focus=uploads.parse_focus(p.focus), thumbnail=p.thumbnail)
    return gw, info


def _answer(gw: Any, info: posts_api.MediaInfo, *, processing_status: int) -> Response[Any]:
    if info.state == "failed":
        raise errors.Invalid(info.failure or "The file could not be processed")
    status = processing_status if info.state == "processing" else 200
    return responses.json(uploads.render(gw, info), status)


@post("/api/v2/media", opt=WRITE_MEDIA, request_max_body_size=uploads.MAX_REQUEST_BYTES)
async def upload_v2(request: Request[Any, Any, Any]) -> Response[Any]:
    gw, info = await _upload(request)
    size = request.content_length
    if info.media.type == "image" and gw.settings.media_upload_wait_s > 0 and (
            size is not None and size <= uploads.V2_PICTURE_WAIT_MAX_BYTES):
        # (a picture refused by processing: a 422 with the reason, as Mastodon's)
        info = await uploads.processed(gw, info, within_s=gw.settings.media_upload_wait_s)
    return _answer(gw, info, processing_status=202)


@post("/api/v1/media", opt=WRITE_MEDIA, request_max_body_size=uploads.MAX_REQUEST_BYTES)
async def upload_v1(request: Request[Any, Any, Any]) -> Response[Any]:
    """Deprecated by Mastodon for v2: it answers once the file is processed. Hubbub waits for
    the media worker a bounded time, then answers what v2 would (202, ``url: null``)."""
    gw, info = await _upload(request)
    info = await uploads.processed(gw, info)
    return _answer(gw, info, processing_status=202)


def _media_id(raw: str) -> int:
    media_id = parse_id(raw)
    if media_id is None:
        raise errors.NotFound("Record not found")
    return media_id


@get("/api/v1/media/{media_id:str}", opt=WRITE_MEDIA)
async def get_media(request: Request[Any, Any, Any], media_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    info = await bus.call(gw.nc, posts_api.MEDIA_GET,
                          posts_api.MediaRef(account_id=me.id, media_id=_media_id(media_id)))
    return _answer(gw, info, processing_status=206)


@put("/api/v1/media/{media_id:str}", opt=WRITE_MEDIA,
     request_max_body_size=uploads.MAX_REQUEST_BYTES)
async def update_media(request: Request[Any, Any, Any], media_id: FromPath[str]
                       ) -> Response[Any]:
    gw = gateway_of(request)
    uploads.check_declared_size(request.content_length)
    _, me = await gw.user(request)
    parsed = _media_id(media_id)
    p = await params.read(request, UpdateParams)
    uploads.check_description(p.description)
    focus = uploads.parse_focus(p.focus)
    # The row must be the caller's before anything is stored for it.
    await bus.call(gw.nc, posts_api.MEDIA_GET,
                   posts_api.MediaRef(account_id=me.id, media_id=parsed))
    thumbnail_key = (await uploads.new_thumbnail(gw, parsed, p.thumbnail)
                     if uploads.is_file(p.thumbnail) else None)
    try:
        info = await bus.call(gw.nc, posts_api.MEDIA_UPDATE, posts_api.UpdateMedia(
            account_id=me.id, media_id=parsed, description=p.description, focus=focus,
            thumbnail_key=thumbnail_key))
    except BaseException:
        if thumbnail_key:
            await uploads.forget_files(gw, thumbnail_key)
        raise
    return _answer(gw, info, processing_status=206)


@delete("/api/v1/media/{media_id:str}", status_code=200, opt=WRITE_MEDIA)
async def delete_media(request: Request[Any, Any, Any], media_id: FromPath[str]
                       ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    await bus.call(gw.nc, posts_api.MEDIA_DELETE,
                   posts_api.MediaRef(account_id=me.id, media_id=_media_id(media_id)))
    return responses.json({})


ROUTES = [upload_v2, upload_v1, get_media, update_media, delete_media]
