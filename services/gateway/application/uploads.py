"""Uploads: what the media routes and update_credentials (avatars, headers) share.

On the request path only what is fast: the declared size (413 before the body is read), the
type sniffed from the first bytes (``check_upload``: 422 with the reason for a type Hubbub does
not take), the file stored as uploaded under a key of its own, and the row asked of posts
(``media.create``: ``processing``, with the event that sends it to the media worker). Decoding,
stripping metadata and previews happen in posts' media worker, never here.

Order, so that a refusal leaves nothing behind: storage refuses (down, read-only) -> 503 with
Retry-After and no row; posts refuses -> the stored file is deleted again (best effort; the
file has no row, so nothing shows it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
from typing import Any

from litestar.datastructures import UploadFile

from services.gateway.context import Gateway
from services.gateway.presenters.media import media_attachment
from shared import bus, errors
from shared.contracts import posts as posts_api
from shared.events import MediaPurpose
from shared.ids import new_id

# The upload checks are pure functions of the bytes, shared with posts' media worker (which
# runs the full processing): the gateway needs the same verdict before it stores anything.
from shared.media.limits import MediaLimits
from shared.media.storage import StorageUnavailable
from shared.media.upload_check import MediaRejected, check_upload
from shared.records import MediaType

log = logging.getLogger(__name__)

LIMITS = MediaLimits()
SNIFF_BYTES = 4096
# The most a media request may carry: the largest file, a thumbnail, and the form around them.
# Litestar refuses a bigger declared body with a 413 before reading it (the route's
# ``request_max_body_size``); each file's own limit by type is checked once sniffed.
LARGEST_FILE = max(LIMITS.image_max_bytes, LIMITS.video_max_bytes, LIMITS.file_max_bytes)
MAX_REQUEST_BYTES = LARGEST_FILE + LIMITS.image_max_bytes + 64 * 1024
# A profile picture request: one image and the profile's other fields.
MAX_PROFILE_REQUEST_BYTES = 2 * LIMITS.image_max_bytes + 64 * 1024
TOO_LARGE = f"Request body is too large (a file may be at most {LARGEST_FILE // 1_048_576} MB)"
MAX_DESCRIPTION = 1500
MAX_ATTACHMENTS = 4  # a status's (posts' use_cases/attach_media.py holds the rule)
# What clients may offer to upload as media (they pick files by these): the pictures processing
# re-encodes (HEIC and AVIF become JPEG or PNG), and the video and audio browsers play as they
# are (Hubbub does not transcode). Other files are taken too, by content, and served as downloads.
SUPPORTED_MIME_TYPES = [
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/heic",
    "video/mp4", "video/webm", "audio/mpeg", "audio/ogg", "audio/mp4",
]
STORAGE_DOWN = "Media storage is unavailable; try again in a moment"
# How long POST /api/v1/media waits for processing (Mastodon's v1 answers when done).
V1_WAIT_S = 10.0
MIN_ASK_S = 0.5  # the shortest wait for one answer from posts while waiting for processing
# POST /api/v2/media waits a moment for a picture (HUBBUB_MEDIA_UPLOAD_WAIT_S). Mastodon
# processes pictures inside the request and answers 200 with their URLs (202 only for video
# and audio), and clients lean on it: Mastodon.py's ``media_post(synchronous=True)`` sleeps
# 5 s after every 202. A picture the media worker has not finished by then is answered 202,
# as a video is. Only requests up to this size wait: a screenshot or a picture an app has
# scaled down is done in tens of milliseconds; a 12-megapixel photo takes ~0.3 s of decoding
# alone, and a burst of them queues at the worker: holding each request while the queue
# drains would tie up connections (and ask for the row every half second) to answer 202 all
# the same.
V2_PICTURE_WAIT_MAX_BYTES = 2 * 1024 * 1024


def configuration() -> dict[str, Any]:
    """The instance's ``configuration.media_attachments``: what clients check before
    uploading."""
    return {
        "supported_mime_types": SUPPORTED_MIME_TYPES,
        "description_limit": MAX_DESCRIPTION,
        "image_size_limit": LIMITS.image_max_bytes,
        "image_matrix_limit": LIMITS.image_max_pixels,
        "video_size_limit": LIMITS.video_max_bytes,
        "video_frame_rate_limit": 60,
        "video_matrix_limit": LIMITS.image_max_pixels,
    }


def new_token() -> str:
    """A key's unguessable part: lowercase letters and digits only (storage's key rule)."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()


def is_file(value: Any) -> bool:
    return isinstance(value, UploadFile)


def parse_focus(raw: Any) -> tuple[float, float] | None:
    """Mastodon's ``focus``: "x,y", each from -1 to 1; None when not given."""
    if raw is None or raw == "":
        return None
    try:
        x, y = (float(part) for part in str(raw).split(","))
    except ValueError:
        x = y = 2.0  # refused below
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise errors.Invalid("Validation failed: focus must be two numbers from -1 to 1, "
                             'as "x,y"', {"focus": [(errors.INVALID, "is invalid")]})
    return (x, y)


def check_description(description: str | None) -> None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise errors.Invalid(
            f"Validation failed: Description is too long (maximum is {MAX_DESCRIPTION} "
            "characters)", {"description": [(errors.TOO_LONG, "is too long (maximum is "
                                             f"{MAX_DESCRIPTION} characters)")]})


def check_declared_size(content_length: int | None, limit: int = MAX_REQUEST_BYTES) -> None:
    """413 for a body declared bigger than any file may be, before a byte of it is read."""
    if content_length is not None and content_length > limit:
        raise errors.TooLarge(TOO_LARGE)


async def stored_file(gw: Gateway, upload: UploadFile, media_id: int, token: str, name: str, *,
                      images_only: bool = False) -> tuple[str, MediaType]:
    """Check the upload, store it as ``media/<id>/<token>/<name>.<ext>``: (key, sniffed type).
    422 for a type refused (or not an image where only images go), 503 when storage is down."""
    data = await upload.read()
    try:
        sniffed = check_upload(data[:SNIFF_BYTES], len(data), LIMITS)
    except MediaRejected as exc:
        raise errors.Invalid(f"Validation failed: {exc}",
                             {"file": [(errors.INVALID, str(exc))]}) from exc
    if images_only and sniffed.kind != "image":
        raise errors.Invalid("Validation failed: the file must be a picture (PNG, JPEG, GIF "
                             "or WebP)", {"file": [(errors.INVALID, "must be a picture")]})
    key = f"media/{media_id}/{token}/{name}.{sniffed.extension}"
    try:
        await gw.storage.put(key, data, sniffed.content_type)
    except StorageUnavailable as exc:
        log.warning("media storage refused %s: %s", key, exc)
        raise errors.Unavailable(STORAGE_DOWN) from exc
    return key, sniffed.kind


async def forget_files(gw: Gateway, *keys: str) -> None:
    """Files stored for a row that was not written: nobody will ever see them."""
    for key in keys:
        with contextlib.suppress(Exception):
            await gw.storage.delete(key)


async def upload(gw: Gateway, account_id: int, file: Any, *,
                 purpose: MediaPurpose = "attachment", description: str = "",
                 focus: tuple[float, float] | None = None, thumbnail: Any = None
                 ) -> posts_api.MediaInfo:
    """Store the file (and its thumbnail) and write its row in ``processing``."""
    if not is_file(file):
        raise errors.Invalid("Validation failed: File can't be blank",
                             {"file": [(errors.BLANK, "can't be blank")]})
    check_description(description)
    media_id, token = new_id(), new_token()
    key, kind = await stored_file(gw, file, media_id, token, "original",
                                  images_only=purpose != "attachment")
    stored = [key]
    try:
        thumbnail_key = None
        if is_file(thumbnail):
            thumbnail_key, _ = await stored_file(gw, thumbnail, media_id, token, "thumbnail",
                                                 images_only=True)
            stored.append(thumbnail_key)
        return await bus.call(gw.nc, posts_api.MEDIA_CREATE, posts_api.CreateMedia(
            media_id=media_id, account_id=account_id, upload_key=key,
            type=kind, purpose=purpose, description=description, focus=focus,
            thumbnail_key=thumbnail_key))
    except BaseException:
        await forget_files(gw, *stored)
        raise


async def new_thumbnail(gw: Gateway, media_id: int, thumbnail: UploadFile) -> str:
    """A thumbnail given later (PUT /api/v1/media/:id), stored: its key."""
    key, _ = await stored_file(gw, thumbnail, media_id, new_token(), "thumbnail",
                               images_only=True)
    return key


async def processed(gw: Gateway, created: posts_api.MediaInfo, *,
                    within_s: float = V1_WAIT_S) -> posts_api.MediaInfo:
    """The row once processing is over (ready or failed), or as it is after ``within_s``.
    ``created``: the row as the upload wrote it, answered as it is when posts cannot be asked
    meanwhile (restarting, slow): the upload succeeded, and a 503 would have the client send
    the file again. Each question waits no longer than the time left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    ref = posts_api.MediaRef(account_id=created.account_id, media_id=created.media.id)
    info, pause = created, 0.05
    while True:
        try:
            info = await bus.call(gw.nc, posts_api.MEDIA_GET, ref,
                                  timeout=max(deadline - loop.time(), MIN_ASK_S))
        except errors.Unavailable:
            return info
        if info.state != "processing" or loop.time() + pause > deadline:
            return info
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)


def render(gw: Gateway, info: posts_api.MediaInfo) -> dict[str, Any]:
    """The MediaAttachment JSON of a row (its URLs signed; null while processing)."""
    return media_attachment(info.media, gw.hydrator.media_url)
