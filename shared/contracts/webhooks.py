"""Outgoing webhooks' messages (notify's ``webhook.*`` verbs, declared in notify.py): an admin's
subscriptions of a URL to events of a community or of the whole network, their deliveries and
the attempts of each. Who may act on which webhook is the gateway's check (roles are graph's);
notify keeps, matches, signs and sends (services/notify/webhooks/)."""

from __future__ import annotations

from typing import Literal

import msgspec

# The event types a webhook may subscribe to (``type`` of the JSON body), and ``ping``, the
# test event an admin sends (never subscribed to: every webhook hears its own).
WEBHOOK_EVENTS = ("status.created", "status.updated", "status.deleted", "member.joined",
                  "member.left", "mention.created", "follow.created")
PING = "ping"
# Only in the network's: follows belong to no community.
NETWORK_ONLY_EVENTS = ("follow.created",)

DeliveryState = Literal["pending", "delivered", "dead"]


class WebhookRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    network_id: int
    community_id: int | None
    created_by: int
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None = None
    created_at: int = 0  # ms since the Unix epoch
    updated_at: int = 0
    previous_until: int | None = None  # the rotated-out secret signs too until then (ms)
    secret: str | None = None  # only in the answer to create and rotate: shown once


class CreateWebhook(msgspec.Struct, frozen=True, kw_only=True):
    network_id: int
    community_id: int | None = None
    created_by: int
    url: str
    events: list[str]


class WebhookRef(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: int


class ListWebhooks(msgspec.Struct, frozen=True, kw_only=True):
    """A network's webhooks (``network_id``), or those of some communities
    (``community_ids``), or both; newest first."""

    network_id: int | None = None
    community_ids: list[int] = []


class Webhooks(msgspec.Struct, frozen=True, kw_only=True):
    webhooks: list[WebhookRecord]


class UpdateWebhook(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: int
    url: str | None = None
    events: list[str] | None = None
    enabled: bool | None = None  # True again: its dead-letter streak starts over


class RotateSecret(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: int
    # How long the old secret signs beside the new one (a space-separated second signature,
    # as the Standard Webhooks spec allows); 0: the old one stops at once.
    keep_previous_s: int = 0


class AttemptRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: int  # ms since the Unix epoch
    ok: bool
    status_code: int | None
    latency_ms: int
    error: str | None = None
    response: str | None = None  # the start of the receiver's answer


class DeliveryRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int  # the ``webhook-id`` header: the same across retries and replays
    webhook_id: int
    event_id: int
    type: str
    state: DeliveryState
    attempts: int
    created_at: int
    updated_at: int
    next_attempt_at: int | None = None
    last_status: int | None = None
    last_error: str | None = None
    log: list[AttemptRecord] = []  # newest first


class DeliveriesPage(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: int
    state: DeliveryState | None = None  # "dead": the dead letters
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


class Deliveries(msgspec.Struct, frozen=True, kw_only=True):
    deliveries: list[DeliveryRecord]


class DeliveryRef(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: int
    delivery_id: int


class Removed(msgspec.Struct, frozen=True, kw_only=True):
    count: int
