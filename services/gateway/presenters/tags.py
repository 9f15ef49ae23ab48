"""Hashtags (Mastodon's Tag entity). Tags have no rows of their own in Hubbub: the
(normalised) name is their identity."""

from __future__ import annotations

import time
from typing import Any

from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.contracts.account_extras import FeaturedTagRecord


def tag_json(name: str, base_url: str, history: list[posts_api.TagDay] | None = None
             ) -> dict[str, Any]:
    # Tags have no rows of their own in Hubbub: the (normalised) name is their identity.
    return {"id": name, "name": name, "url": f"{base_url}/tags/{name}",
            "history": [{"day": str(d.day), "uses": str(d.uses), "accounts": str(d.accounts)}
                        for d in history or ()]}


def tag(t: graph_api.Tag, base_url: str) -> dict[str, Any]:
    return {**tag_json(t.name, base_url), "following": t.following}


def featured_tag(record: FeaturedTagRecord, username: str, base_url: str,
                 use: posts_api.TagUse | None) -> dict[str, Any]:
    """Mastodon's FeaturedTag: the count as a string and the last use as a date, as its
    serializer writes them."""
    last = use.last_status_at if use else None
    return {
        "id": str(record.id), "name": record.name,
        "url": f"{base_url}/@{username}/tagged/{record.tag}",
        "statuses_count": str(use.statuses_count if use else 0),
        "last_status_at": (time.strftime("%Y-%m-%d", time.gmtime(last / 1000))
                           if last is not None else None),
    }
