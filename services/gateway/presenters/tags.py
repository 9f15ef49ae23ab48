"""Hashtags (Mastodon's Tag entity). Tags have no rows of their own in Hubbub: the
(normalised) name is their identity."""

from __future__ import annotations

from typing import Any

from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api


def tag_json(name: str, base_url: str, history: list[posts_api.TagDay] | None = None
             ) -> dict[str, Any]:
    # Tags have no rows of their own in Hubbub: the (normalised) name is their identity.
    return {"id": name, "name": name, "url": f"{base_url}/tags/{name}",
            "history": [{"day": str(d.day), "uses": str(d.uses), "accounts": str(d.accounts)}
                        for d in history or ()]}


def tag(t: graph_api.Tag, base_url: str) -> dict[str, Any]:
    return {**tag_json(t.name, base_url), "following": t.following}
