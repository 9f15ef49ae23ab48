"""Link preview cards (Mastodon's PreviewCard), and trending links (its TrendsLink: a card with
its daily history)."""

from __future__ import annotations

from typing import Any

from shared.contracts import posts as posts_api
from shared.records import CardRecord


def card(c: CardRecord) -> dict[str, Any]:
    # ``image`` is null on purpose: the page's picture is a third party's, and a reader's
    # browser fetching it would tell that site who reads what (Mastodon serves its own copy;
    # Hubbub has no image proxy yet). Width and height describe the image: 0 without one.
    return {
        "url": c.url,
        "title": c.title,
        "description": c.description,
        "language": None,
        "type": c.type,
        "author_name": c.author_name,
        "author_url": c.author_url,
        "provider_name": c.provider_name,
        "provider_url": "",
        "html": "",
        "width": 0,
        "height": 0,
        "image": None,
        "image_description": "",
        "embed_url": "",
        "blurhash": None,
        "published_at": None,
        "authors": [{"name": c.author_name, "url": c.author_url, "account": None}]
        if c.author_name else [],
    }


def trends_link(link: posts_api.LinkTrend) -> dict[str, Any]:
    return {**card(link.card),
            "history": [{"day": str(d.day), "uses": str(d.uses), "accounts": str(d.accounts)}
                        for d in link.history]}
