"""Webhooks, their deliveries and attempts as JSON (Hubbub's own API: ids as strings, times in
ISO 8601 as Mastodon writes them)."""

from __future__ import annotations

from typing import Any

from services.gateway.presenters.mastodon import iso
from shared.contracts import webhooks as wh


def webhook_json(h: wh.WebhookRecord) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "id": str(h.id),
        "url": h.url,
        "events": h.events,
        "community_id": str(h.community_id) if h.community_id is not None else None,
        "enabled": h.enabled,
        "disabled_reason": h.disabled_reason,
        "created_at": iso(h.created_at),
        "updated_at": iso(h.updated_at),
        "previous_secret_until": iso(h.previous_until),
    }
    if h.secret is not None:
        shaped["secret"] = h.secret  # only now: never shown again
    return shaped


def attempt_json(a: wh.AttemptRecord) -> dict[str, Any]:
    return {"id": str(a.id), "at": iso(a.at), "ok": a.ok, "status_code": a.status_code,
            "latency_ms": a.latency_ms, "error": a.error, "response": a.response}


def delivery_json(d: wh.DeliveryRecord) -> dict[str, Any]:
    return {
        "id": str(d.id),  # the webhook-id header the receiver saw
        "event_id": str(d.event_id),
        "type": d.type,
        "state": d.state,
        "attempts_count": d.attempts,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
        "next_attempt_at": iso(d.next_attempt_at),
        "last_status_code": d.last_status,
        "last_error": d.last_error,
        "attempts": [attempt_json(a) for a in d.log],
    }
