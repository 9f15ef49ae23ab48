"""Media processing for attachments, avatars and headers: pure functions over bytes, run by the
media worker in a process pool (see processing.py for what is stripped and what is limited)."""

from services.posts.media.limits import MediaLimits
from services.posts.media.processing import (
    MediaRejected,
    Processed,
    check_upload,
    process_avatar,
    process_header,
    process_media,
)
from services.posts.media.sniff import MediaKind, Sniffed, sniff

__all__ = [
    "MediaKind",
    "MediaLimits",
    "MediaRejected",
    "Processed",
    "Sniffed",
    "check_upload",
    "process_avatar",
    "process_header",
    "process_media",
    "sniff",
]
