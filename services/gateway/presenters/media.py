"""Mastodon's MediaAttachment entity (docs.joinmastodon.org/entities/MediaAttachment).

Files are named by storage keys in the records; their URLs are made at render time by the
``MediaUrl`` the caller hands in (the gateway signs every attachment's URL, good until the end
of tomorrow: services/gateway/media_urls.py). Pure: no I/O here, signing is a computation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.records import MediaRecord

# A storage key -> the URL a reader fetches it at.
MediaUrl = Callable[[str], str]


def media_attachment(m: MediaRecord, url: MediaUrl) -> dict[str, Any]:
    meta = dict(m.meta)
    if m.focus is not None:
        meta["focus"] = {"x": m.focus[0], "y": m.focus[1]}
    return {
        "id": str(m.id),
        "type": m.type,
        "url": url(m.key) if m.key else None,
        "preview_url": url(m.preview_key) if m.preview_key else None,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta or None,
        "description": m.description or None,
        "blurhash": m.blurhash,
    }


def media_attachments(media: tuple[MediaRecord, ...], url: MediaUrl) -> list[dict[str, Any]]:
    return [media_attachment(m, url) for m in media]


def no_media_url(key: str) -> str:
    """For callers that render statuses known to have no attachments."""
    raise ValueError(f"no URL maker given for {key!r}")
