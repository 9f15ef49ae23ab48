"""The checks an upload passes before anything stores it: its type by content, its size by kind.

Shared by the gateway (which refuses at once, with a 422, what the worker would refuse later)
and the posts service's media worker (which checks again: it trusts no caller).
"""

from __future__ import annotations

from shared.media.limits import MediaLimits
from shared.media.sniff import SNIFF_BYTES, MediaKind, Sniffed, sniff


class MediaRejected(Exception):
    """A file Hubbub will not take, with a reason to show its uploader (a 422)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_upload(head: bytes, size: int, limits: MediaLimits) -> Sniffed:
    """The type of an upload by its content, refused when empty or over its kind's size."""
    if size <= 0 or not head:
        raise MediaRejected("The file is empty")
    sniffed = sniff(head[:SNIFF_BYTES])
    limit = _byte_limit(sniffed.kind, limits)
    if size > limit:
        raise MediaRejected(
            f"The file is too large: {_megabytes(size)} MB, "
            f"where {sniffed.kind} files may have {_megabytes(limit)} MB at most"
        )
    return sniffed


def _byte_limit(kind: MediaKind, limits: MediaLimits) -> int:
    if kind in ("image", "gifv"):
        return limits.image_max_bytes
    if kind in ("video", "audio"):  # Mastodon's audio shares the video limit
        return limits.video_max_bytes
    return limits.file_max_bytes


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")
