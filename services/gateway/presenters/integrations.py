"""A community's inbound feeds and incoming webhooks as its admins see them (Hubbub's own API)."""

from __future__ import annotations

from typing import Any

from services.gateway.presenters.mastodon import iso
from shared.contracts.integrations import FeedRecord, HookRecord

HOOKS_PATH = "/api/hubbub/v1/hooks/"


def feed_json(feed: FeedRecord) -> dict[str, Any]:
    return {"id": str(feed.id), "community_id": str(feed.community_id), "url": feed.url,
            "title": feed.title, "created_at": iso(feed.created_at),
            "interval_s": feed.interval_s, "last_polled_at": iso(feed.last_polled_at),
            "last_success_at": iso(feed.last_success_at),
            "next_poll_at": iso(feed.next_poll_at), "last_error": feed.last_error,
            "failures": feed.failures, "items_posted": feed.items_posted}


def hook_json(hook: HookRecord, base_url: str) -> dict[str, Any]:
    """The URL (the secret in it) only in the answer that made the hook."""
    shown: dict[str, Any] = {
        "id": str(hook.id), "community_id": str(hook.community_id), "name": hook.name,
        "token_prefix": hook.token_prefix, "created_at": iso(hook.created_at),
        "last_used_at": iso(hook.last_used_at)}
    if hook.token:
        shown["token"] = hook.token
        shown["url"] = f"{base_url}{HOOKS_PATH}{hook.token}"
    return shown
