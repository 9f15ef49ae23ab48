"""Mastodon's WebPushSubscription entity."""

from __future__ import annotations

from typing import Any

from shared.contracts.notify import PushSubscription


def subscription_json(found: PushSubscription, server_key: str) -> dict[str, Any]:
    return {
        "id": str(found.id),
        "endpoint": found.endpoint,
        "standard": found.standard,
        "alerts": dict(found.alerts),
        "policy": found.policy,
        "server_key": server_key,
    }
