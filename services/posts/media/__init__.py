"""Media processing for attachments, avatars and headers: pure functions over bytes, run by the
media worker in a process pool (see processing.py for what is stripped and what is limited)."""

from services.posts.media.processing import (
    Processed,
    process_avatar,
    process_header,
    process_media,
)
from shared.media.limits import MediaLimits
from shared.media.sniff import MediaKind, Sniffed, sniff
from shared.media.upload_check import MediaRejected, check_upload

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
