"""Scheduled statuses (Mastodon's ScheduledStatus entity): the time, and the parameters the
status will be posted with, named as in ``POST /api/v1/statuses``."""

from __future__ import annotations

from typing import Any

from services.gateway.presenters.mastodon import iso
from shared.contracts.posts import ScheduledStatusRecord


def scheduled_status(record: ScheduledStatusRecord,
                     attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``attachments``: the MediaAttachment JSON of the uploads it will be posted with."""
    status = record.status
    poll = status.poll
    return {
        "id": str(record.id),
        "scheduled_at": iso(record.scheduled_at),
        "params": {
            "text": status.text,
            "poll": {"options": list(poll.options), "expires_in": str(poll.expires_in),
                     "multiple": poll.multiple, "hide_totals": False} if poll else None,
            "media_ids": [str(m) for m in status.media_ids] or None,
            "sensitive": status.sensitive,
            "spoiler_text": status.spoiler_text,
            "visibility": status.visibility,
            "scheduled_at": None,
            "in_reply_to_id": str(status.in_reply_to_id) if status.in_reply_to_id else None,
            "language": status.language,
            "idempotency": record.idempotency,
            "application_id": record.application_id,
            "with_rate_limit": False,
            # Hubbub: the community it will be posted into
            "community_id": str(status.community_id) if status.community_id else None,
        },
        "media_attachments": attachments or [],
    }
