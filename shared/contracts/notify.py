"""The notify service's API: notifications."""

from __future__ import annotations

import msgspec

from shared.contracts.verb import VerbSet
from shared.records import NotificationRecord

SERVICE = "notify"


class ListNotifications(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 40
    # Filters as clients send them: a type Hubbub never produces matches nothing (it is not an
    # error, clients ask for Mastodon's newer types), so these are strs, not NotificationTypes.
    types: list[str] = []
    exclude_types: list[str] = []
    from_account_id: int | None = None  # only notifications from this account


class GetNotification(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    id: int


class Notifications(msgspec.Struct, frozen=True, kw_only=True):
    notifications: list[NotificationRecord]


class Dismiss(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    id: int | None = None  # None: every notification of the account (clear)


class Done(msgspec.Struct, frozen=True, kw_only=True):
    count: int = 0


class UnreadCount(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    limit: int = 100
    types: list[str] = []  # as in ListNotifications
    exclude_types: list[str] = []


class Marker(msgspec.Struct, frozen=True, kw_only=True):
    timeline: str
    last_read_id: int
    version: int
    updated_at: int  # ms since the Unix epoch


class GetMarkers(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    timelines: list[str]


class SetMarkers(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    positions: dict[str, int]  # timeline -> last read id


class Markers(msgspec.Struct, frozen=True, kw_only=True):
    markers: list[Marker]


# Every verb notify answers (``hubbub.svc.notify.<name>``), declared once.
VERBS = VerbSet(SERVICE)

NOTIFICATION_LIST = VERBS.declare("notification.list", ListNotifications, Notifications)
NOTIFICATION_GET = VERBS.declare("notification.get", GetNotification, NotificationRecord)
NOTIFICATION_DISMISS = VERBS.declare("notification.dismiss", Dismiss, Done)
NOTIFICATION_UNREAD_COUNT = VERBS.declare("notification.unread_count", UnreadCount, Done)
MARKERS_GET = VERBS.declare("markers.get", GetMarkers, Markers)
MARKERS_SET = VERBS.declare("markers.set", SetMarkers, Markers)
