"""The notify service's API: notifications, markers and direct conversations."""

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


class ConversationRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One account's view of a direct conversation (Mastodon's AccountConversation): the thread
    whose root is ``id``, as far as it holds direct statuses this account takes part in."""

    id: int  # the thread's root status id: the same for every participant, unique per account
    account_id: int  # whose view this is
    unread: bool
    last_status_id: int  # the newest of its statuses: what conversations are ordered by
    participant_ids: tuple[int, ...]  # everyone in its statuses (author and mentioned), self too
    # Its newest statuses, newest first (last_status_id first): the gateway shows the newest
    # the reader may still see (a block since, say), without asking again.
    recent_status_ids: tuple[int, ...] = ()


class ListConversations(msgspec.Struct, frozen=True, kw_only=True):
    """Paged by ``last_status_id``, newest first, as Mastodon pages conversations."""

    account_id: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


class Conversations(msgspec.Struct, frozen=True, kw_only=True):
    conversations: list[ConversationRecord]


class ConversationRef(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # only this account's own conversations are found (else NotFound)
    id: int


# Every verb notify answers (``hubbub.svc.notify.<name>``), declared once.
VERBS = VerbSet(SERVICE)

NOTIFICATION_LIST = VERBS.declare("notification.list", ListNotifications, Notifications)
NOTIFICATION_GET = VERBS.declare("notification.get", GetNotification, NotificationRecord)
NOTIFICATION_DISMISS = VERBS.declare("notification.dismiss", Dismiss, Done)
NOTIFICATION_UNREAD_COUNT = VERBS.declare("notification.unread_count", UnreadCount, Done)
MARKERS_GET = VERBS.declare("markers.get", GetMarkers, Markers)
MARKERS_SET = VERBS.declare("markers.set", SetMarkers, Markers)
CONVERSATION_LIST = VERBS.declare("conversation.list", ListConversations, Conversations)
CONVERSATION_GET = VERBS.declare("conversation.get", ConversationRef, ConversationRecord)
CONVERSATION_READ = VERBS.declare("conversation.read", ConversationRef, ConversationRecord)
CONVERSATION_REMOVE = VERBS.declare("conversation.remove", ConversationRef, Done)
