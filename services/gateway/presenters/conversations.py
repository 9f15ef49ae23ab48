"""Direct conversations (Mastodon's Conversation entity): the same shape for the REST API and
the ``direct`` stream's ``conversation`` event (application/conversations.py renders both)."""

from __future__ import annotations

from typing import Any

from shared.contracts.notify import ConversationRecord


def conversation(record: ConversationRecord, accounts: list[dict[str, Any]],
                 last_status: dict[str, Any] | None) -> dict[str, Any]:
    """``accounts``: the other participants (the reader alone in it: the reader), as Account
    JSON; ``last_status``: the newest status the reader may see, with the reader's flags."""
    return {"id": str(record.id), "unread": record.unread, "accounts": accounts,
            "last_status": last_status}
