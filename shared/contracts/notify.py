"""The notify service's API: notifications."""

from __future__ import annotations

import msgspec

from shared.records import NotificationRecord

SERVICE = "notify"


class ListNotifications(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 40
    types: list[str] = []
    exclude_types: list[str] = []


class GetNotification(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    id: int


class Notifications(msgspec.Struct, frozen=True, kw_only=True):
    notifications: list[NotificationRecord]
