"""The notify service's API: notifications, their groups, markers, the filtering policy and its
requests, and direct conversations."""

from __future__ import annotations

from typing import Literal

import msgspec

from shared.contracts import webhooks as wh
from shared.contracts.verb import IDEMPOTENT, READ, WRITE, VerbSet
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
    group_key: str | None = None  # only this group's (``ungrouped-<id>``: that one notification)
    include_filtered: bool = False  # those the policy held back too
    exclude_from: list[int] = []  # senders the reader hid (blocked, or muted with notifications)


# What the server groups (Mastodon's GROUPABLE_NOTIFICATION_TYPES; Hubbub makes no admin.sign_up
# notifications, but a client may name it).
GROUPABLE_TYPES = ("favourite", "reblog", "follow", "admin.sign_up")


class ListGroups(msgspec.Struct, frozen=True, kw_only=True):
    """A page of notification groups: each group once, at its newest notification."""

    account_id: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 40
    types: list[str] = []
    exclude_types: list[str] = []
    from_account_id: int | None = None
    # None: every groupable type groups; otherwise only these (the others come one by one).
    grouped_types: list[str] | None = None
    include_filtered: bool = False
    exclude_from: list[int] = []


class NotificationGroup(msgspec.Struct, frozen=True, kw_only=True):
    group_key: str  # ``ungrouped-<id>`` for a notification alone
    type: str
    most_recent_notification_id: int
    notifications_count: int
    sample_account_ids: list[int]  # newest first, up to 8, each account once
    status_id: int | None = None
    community_id: int | None = None
    latest_at: int = 0  # ms since the Unix epoch: the most recent notification's
    page_min_id: int | None = None  # paged answers only: the group's oldest within the page
    page_max_id: int | None = None


class Groups(msgspec.Struct, frozen=True, kw_only=True):
    groups: list[NotificationGroup]


class GetGroup(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    group_key: str


class GetNotification(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    id: int


class Notifications(msgspec.Struct, frozen=True, kw_only=True):
    notifications: list[NotificationRecord]


class Dismiss(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    id: int | None = None  # None (and no group_key): every notification of the account (clear)
    group_key: str | None = None  # every notification of this group


class Done(msgspec.Struct, frozen=True, kw_only=True):
    count: int = 0


class UnreadCount(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    limit: int = 100
    types: list[str] = []  # as in ListNotifications
    exclude_types: list[str] = []
    from_account_id: int | None = None
    grouped: bool = False  # count groups (v2), not notifications
    grouped_types: list[str] | None = None  # as in ListGroups


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


# --- the filtering policy and its requests ---------------------------------------------------

PolicyAction = Literal["accept", "filter", "drop"]
POLICY_FIELDS = ("for_not_following", "for_not_followers", "for_new_accounts",
                 "for_private_mentions", "for_limited_accounts")


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    """What becomes of a notification from each kind of sender (Mastodon's NotificationPolicy;
    the defaults are Mastodon 4.3's)."""

    for_not_following: PolicyAction = "accept"  # senders the recipient does not follow
    for_not_followers: PolicyAction = "accept"  # senders not following the recipient (3 days)
    for_new_accounts: PolicyAction = "accept"  # senders whose account is under 30 days old
    for_private_mentions: PolicyAction = "filter"  # direct mentions from the unfollowed
    for_limited_accounts: PolicyAction = "filter"  # moderator-limited senders (none in Hubbub)


class PolicySummary(msgspec.Struct, frozen=True, kw_only=True):
    pending_requests_count: int = 0  # capped at 100, as Mastodon
    pending_notifications_count: int = 0


class PolicyReply(msgspec.Struct, frozen=True, kw_only=True):
    policy: Policy
    summary: PolicySummary


class GetPolicy(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int


class SetPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """The fields to change; None keeps the current value."""

    account_id: int
    for_not_following: PolicyAction | None = None
    for_not_followers: PolicyAction | None = None
    for_new_accounts: PolicyAction | None = None
    for_private_mentions: PolicyAction | None = None
    for_limited_accounts: PolicyAction | None = None


class NotificationRequest(msgspec.Struct, frozen=True, kw_only=True):
    """The filtered notifications from one sender."""

    id: int
    from_account_id: int
    notifications_count: int
    last_status_id: int | None = None
    created_at: int = 0  # ms since the Unix epoch
    updated_at: int = 0  # the newest filtered notification's time


class ListRequests(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 40


class Requests(msgspec.Struct, frozen=True, kw_only=True):
    requests: list[NotificationRequest]


class GetRequest(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    id: int


class AnswerRequests(msgspec.Struct, frozen=True, kw_only=True):
    """Accept (merge into the list, let the sender through from now on) or dismiss (forget the
    request and its notifications) the account's own requests among ``ids``; others' are
    skipped. ``Done.count`` says how many were answered."""

    account_id: int
    ids: list[int]


# --- direct conversations --------------------------------------------------------------------

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


class ThreadMute(msgspec.Struct, frozen=True, kw_only=True):
    """Mute (or unmute) a thread for one reader: ``conversation_id`` is its root's id."""

    account_id: int
    conversation_id: int


class ThreadsMuted(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    conversation_ids: list[int]


class MutedThreads(msgspec.Struct, frozen=True, kw_only=True):
    conversation_ids: list[int]  # those asked about that the reader muted


# --- Web Push subscriptions ------------------------------------------------------------------

PushPolicy = Literal["all", "followed", "follower", "none"]
# The alerts a subscription names (Mastodon's WebPushSubscription alerts); Hubbub makes no
# admin.* notifications, but keeps a client's choice of them.
PUSH_ALERTS = ("mention", "status", "reblog", "follow", "follow_request", "favourite", "poll",
               "update", "admin.sign_up", "admin.report")


class PushSubscription(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_id: int
    endpoint: str
    standard: bool
    alerts: dict[str, bool]  # every name of PUSH_ALERTS
    policy: PushPolicy


class Subscribe(msgspec.Struct, frozen=True, kw_only=True):
    """Make the token's subscription, replacing the one it had. ``p256dh`` and ``auth`` as the
    browser gives them (base64url); validated by notify, as is the endpoint
    (services/notify/push/endpoint.py)."""

    token_id: int
    token_hash: str  # the gateway's digest of the token: what a revocation names
    account_id: int
    access_token: str  # carried by each message (sealed at rest)
    endpoint: str
    p256dh: str
    auth: str
    standard: bool = True
    alerts: dict[str, bool] = {}  # names left out are off
    policy: PushPolicy = "all"


class PushRef(msgspec.Struct, frozen=True, kw_only=True):
    token_id: int
    account_id: int


class UpdatePush(msgspec.Struct, frozen=True, kw_only=True):
    """Change the token's subscription's alerts (the named ones only) and policy."""

    token_id: int
    account_id: int
    alerts: dict[str, bool] = {}
    policy: PushPolicy | None = None


class ForgetToken(msgspec.Struct, frozen=True, kw_only=True):
    """A token was revoked: its subscription goes with it."""

    token_hash: str


# Every verb notify answers (``hubbub.svc.notify.<name>``), declared once.
VERBS = VerbSet(SERVICE)

NOTIFICATION_LIST = VERBS.declare("notification.list", ListNotifications, Notifications, kind=READ)
NOTIFICATION_GET = VERBS.declare("notification.get", GetNotification, NotificationRecord, kind=READ)
NOTIFICATION_DISMISS = VERBS.declare("notification.dismiss", Dismiss, Done, kind=WRITE)
NOTIFICATION_UNREAD_COUNT = VERBS.declare("notification.unread_count", UnreadCount, Done, kind=READ)
NOTIFICATION_GROUPS = VERBS.declare("notification.groups", ListGroups, Groups, kind=READ)
NOTIFICATION_GROUP = VERBS.declare("notification.group", GetGroup, Groups, kind=READ)
POLICY_GET = VERBS.declare("policy.get", GetPolicy, PolicyReply, kind=READ)
POLICY_SET = VERBS.declare("policy.set", SetPolicy, PolicyReply, kind=WRITE)
REQUEST_LIST = VERBS.declare("request.list", ListRequests, Requests, kind=READ)
REQUEST_GET = VERBS.declare("request.get", GetRequest, NotificationRequest, kind=READ)
REQUEST_ACCEPT = VERBS.declare("request.accept", AnswerRequests, Done, kind=WRITE)
REQUEST_DISMISS = VERBS.declare("request.dismiss", AnswerRequests, Done, kind=WRITE)
MARKERS_GET = VERBS.declare("markers.get", GetMarkers, Markers, kind=READ)
MARKERS_SET = VERBS.declare("markers.set", SetMarkers, Markers, kind=WRITE)
CONVERSATION_LIST = VERBS.declare("conversation.list", ListConversations, Conversations, kind=READ)
CONVERSATION_GET = VERBS.declare("conversation.get", ConversationRef, ConversationRecord, kind=READ)
CONVERSATION_READ = VERBS.declare("conversation.read", ConversationRef, ConversationRecord,
                                  kind=WRITE)
CONVERSATION_REMOVE = VERBS.declare("conversation.remove", ConversationRef, Done, kind=WRITE)
THREAD_MUTE = VERBS.declare("thread.mute", ThreadMute, MutedThreads, kind=IDEMPOTENT)
THREAD_UNMUTE = VERBS.declare("thread.unmute", ThreadMute, MutedThreads, kind=IDEMPOTENT)
THREAD_MUTED = VERBS.declare("thread.muted", ThreadsMuted, MutedThreads, kind=READ)
PUSH_SUBSCRIBE = VERBS.declare("push.subscribe", Subscribe, PushSubscription, kind=WRITE)
PUSH_GET = VERBS.declare("push.get", PushRef, PushSubscription, kind=READ)
PUSH_UPDATE = VERBS.declare("push.update", UpdatePush, PushSubscription, kind=WRITE)
PUSH_UNSUBSCRIBE = VERBS.declare("push.unsubscribe", PushRef, Done, kind=WRITE)
PUSH_FORGET_TOKEN = VERBS.declare("push.forget_token", ForgetToken, Done, kind=WRITE)
WEBHOOK_CREATE = VERBS.declare("webhook.create", wh.CreateWebhook, wh.WebhookRecord, kind=WRITE)
WEBHOOK_LIST = VERBS.declare("webhook.list", wh.ListWebhooks, wh.Webhooks, kind=READ)
WEBHOOK_GET = VERBS.declare("webhook.get", wh.WebhookRef, wh.WebhookRecord, kind=READ)
WEBHOOK_UPDATE = VERBS.declare("webhook.update", wh.UpdateWebhook, wh.WebhookRecord, kind=WRITE)
WEBHOOK_DELETE = VERBS.declare("webhook.delete", wh.WebhookRef, wh.Removed, kind=WRITE)
WEBHOOK_ROTATE = VERBS.declare("webhook.rotate", wh.RotateSecret, wh.WebhookRecord, kind=WRITE)
WEBHOOK_PING = VERBS.declare("webhook.ping", wh.WebhookRef, wh.DeliveryRecord, kind=WRITE)
WEBHOOK_DELIVERIES = VERBS.declare("webhook.deliveries", wh.DeliveriesPage, wh.Deliveries,
                                   kind=READ)
WEBHOOK_REPLAY = VERBS.declare("webhook.replay", wh.DeliveryRef, wh.DeliveryRecord, kind=WRITE)
