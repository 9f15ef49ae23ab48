"""Lists (Mastodon's List entity)."""

from __future__ import annotations

from typing import Any

from shared.contracts import lists as api


def list_json(record: api.ListRecord) -> dict[str, Any]:
    return {"id": str(record.id), "title": record.title,
            "replies_policy": record.replies_policy, "exclusive": record.exclusive}
