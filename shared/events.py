"""Domain events: one frozen msgspec Struct per event, a tagged union over ``type``.

Events carry ids and the few fields consumers need to act without asking back. ``v`` is the
schema version of that event type; consumers ignore unknown fields, so adding one is compatible.
"""

from __future__ import annotations

import time
from typing import ClassVar, Literal, Union

import msgspec

from shared.ids import new_id
from shared.policy import Visibility


def _now_ms() -> int:
    return int(time.time() * 1000)


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    id: int = msgspec.field(default_factory=new_id)
    occurred_at: int = msgspec.field(default_factory=_now_ms)  # ms since the Unix epoch
    v: int = 1

    # What a consumer may filter on at the server: the event's subject carries these facets
    # after its type (shared/subjects.py ``event``), in this order, and a consumer that needs
    # only some values asks JetStream for those alone (shared/routing.py ``on(where=)``): a
    # consumer that ignores most events of a type is then not even handed them. Empty: none.
    FACETS: ClassVar[tuple[str, ...]] = ()

    @property
    def type(self) -> str:
        return type(self).__struct_config__.tag  # type: ignore[return-value]

    def facets(self) -> tuple[str, ...]:
        """This event's value of each of ``FACETS`` (each one subject token)."""
        return ()


class StatusCreated(Event, frozen=True, kw_only=True, tag="post.status.created"):
    status_id: int
    account_id: int
    network_id: int
    visibility: Visibility
    in_reply_to_id: int | None = None
    in_reply_to_account_id: int | None = None
    reblog_of_id: int | None = None
    community_id: int | None = None
    mentions: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    # The thread's root (StatusRecord.conversation_id); None from producers before it was added.
    conversation_id: int | None = None
    # False when its author is silenced: no public or hashtag stream announces it (Mastodon's
    # broadcastable?); the timelines still hold it for the author's followers.
    broadcast: bool = True
    # Whether its text has a link a preview card could be made for (services/posts/text.py
    # first_link): the card worker reads and locks only those. True from producers before it
    # was added (the worker then looks, as it always did).
    has_link: bool = True

    # Whether an outgoing webhook may hear of it (posts reads notify's index of the places
    # webhooks listen, shared/member_index.py ``HOOKED``); False only when none can. Older
    # producers: True (the webhook consumer looks, as it always did).
    hooked: bool = True
    # Whether it may notify anyone: it mentions someone, replies to another's status, is a
    # community post, or its author may have followers who rang the bell (posts reads graph's
    # index of those, shared/member_index.py ``BELLED``). False only when none holds. Older
    # producers: True (notify looks, as it always did).
    noticed: bool = True

    # Most statuses concern fanout and graph's counters alone: the card worker wants those with
    # a link, conversations direct ones, webhooks hooked ones, notify noticed ones; none wants
    # reblogs.
    FACETS = ("kind", "visibility", "link", "hooks", "notice")

    def facets(self) -> tuple[str, ...]:
        return ("reblog" if self.reblog_of_id is not None else "status", self.visibility,
                "link" if self.has_link else "plain", "hooked" if self.hooked else "quiet",
                "notice" if self.noticed else "quiet")


class StatusDeleted(Event, frozen=True, kw_only=True, tag="post.status.deleted"):
    status_id: int
    account_id: int
    network_id: int = 0
    visibility: Visibility = "public"
    mentions: tuple[int, ...] = ()
    reblog_of_id: int | None = None
    tags: tuple[str, ...] = ()
    community_id: int | None = None


class StatusUpdated(Event, frozen=True, kw_only=True, tag="post.status.updated"):
    status_id: int
    account_id: int
    visibility: Visibility
    mentions: tuple[int, ...] = ()
    added_mentions: tuple[int, ...] = ()  # newly mentioned by the edit: they get a mention
    # Where the status shows, so that ``status.update`` reaches every stream that showed it
    # (the network's, its hashtags', its community's); 0 / None / () from older producers.
    network_id: int = 0
    community_id: int | None = None
    tags: tuple[str, ...] = ()  # the tags before and after the edit


class FavouriteAdded(Event, frozen=True, kw_only=True, tag="post.favourite.added"):
    status_id: int
    status_account_id: int
    account_id: int  # who favourited


class FavouriteRemoved(Event, frozen=True, kw_only=True, tag="post.favourite.removed"):
    status_id: int
    status_account_id: int
    account_id: int


class ReblogCreated(Event, frozen=True, kw_only=True, tag="post.reblog.created"):
    reblog_id: int  # the reblog's own status id (what timelines hold)
    status_id: int  # the reblogged status
    status_account_id: int
    account_id: int  # who reblogged
    network_id: int
    visibility: Visibility


class ReblogRemoved(Event, frozen=True, kw_only=True, tag="post.reblog.removed"):
    reblog_id: int
    status_id: int
    status_account_id: int
    account_id: int


class PollVoted(Event, frozen=True, kw_only=True, tag="post.poll.voted"):
    poll_id: int
    status_id: int
    account_id: int
    choices: tuple[int, ...]


class PollEnded(Event, frozen=True, kw_only=True, tag="post.poll.ended"):
    poll_id: int
    status_id: int
    status_account_id: int
    voter_ids: tuple[int, ...] = ()


MediaPurpose = Literal["attachment", "avatar", "header"]


class MediaUploaded(Event, frozen=True, kw_only=True, tag="post.media.uploaded"):
    """A file is stored as uploaded and its row waits in ``processing``: posts' media worker
    (consumer ``posts-media``) decodes it, writes the processed files and marks it ready or
    failed. ``revision`` counts the requests to process the row (a new thumbnail asks again):
    the worker does a revision once, whatever the redeliveries."""
    media_id: int
    account_id: int
    purpose: MediaPurpose = "attachment"
    revision: int = 1


class MediaDeleted(Event, frozen=True, kw_only=True, tag="post.media.deleted"):
    """Media rows are gone (deleted by their owner, never attached in time, replaced): the
    media worker deletes their files from storage. ``keys``: every file the rows named."""
    media_ids: tuple[int, ...]
    keys: tuple[str, ...] = ()


class AccountCreated(Event, frozen=True, kw_only=True, tag="graph.account.created"):
    account_id: int
    network_id: int
    username: str


class FollowCreated(Event, frozen=True, kw_only=True, tag="graph.follow.created"):
    follower_id: int
    followee_id: int
    reblogs: bool = True
    notify: bool = False


class FollowRemoved(Event, frozen=True, kw_only=True, tag="graph.follow.removed"):
    follower_id: int
    followee_id: int


class FollowRequested(Event, frozen=True, kw_only=True, tag="graph.follow_request.created"):
    follower_id: int
    followee_id: int


class FollowRequestRejected(Event, frozen=True, kw_only=True, tag="graph.follow_request.rejected"):
    follower_id: int
    followee_id: int


class BlockCreated(Event, frozen=True, kw_only=True, tag="graph.block.created"):
    account_id: int
    target_id: int


class BlockRemoved(Event, frozen=True, kw_only=True, tag="graph.block.removed"):
    account_id: int
    target_id: int


class MuteCreated(Event, frozen=True, kw_only=True, tag="graph.mute.created"):
    account_id: int
    target_id: int
    notifications: bool = True


class MuteRemoved(Event, frozen=True, kw_only=True, tag="graph.mute.removed"):
    account_id: int
    target_id: int


class AccountUpdated(Event, frozen=True, kw_only=True, tag="graph.account.updated"):
    account_id: int


class AccountDeactivated(Event, frozen=True, kw_only=True, tag="graph.account.deactivated"):
    account_id: int
    network_id: int


class AccountReactivated(Event, frozen=True, kw_only=True, tag="graph.account.reactivated"):
    """A suspended or disabled account may use Hubbub again (a moderator's unsuspend or
    enable): gateways forget that they heard it barred, so its tokens work at once."""
    account_id: int
    network_id: int


class AccountJoined(Event, frozen=True, kw_only=True, tag="graph.account.joined"):
    """The account became a member of its network: its address was confirmed (and, where
    registrations need approval, an admin approved it). Gateways listen (core NATS) to let its
    tokens in at once."""
    account_id: int
    network_id: int


class AccountRoleChanged(Event, frozen=True, kw_only=True, tag="graph.account.role_changed"):
    account_id: int
    network_id: int
    role: str


MailTemplate = Literal[
    "confirm_email",       # params: link, network
    "already_registered",  # someone signed up with an address that has an account; params: link
    "invitation",          # params: link, network, role
    "approved",            # params: link, network
    "rejected",            # params: network
]


class MailRequested(Event, frozen=True, kw_only=True, tag="graph.mail.requested"):
    """A message for a person's mailbox, written in the same transaction as what it tells (the
    outbox), sent by notify's mailer from JetStream: a slow or failing mail server never blocks
    a request, and a message is retried until sent. ``params`` hold the template's values,
    links included (a link's token is single-use and expires: see email_confirmations)."""
    to: str
    template: MailTemplate
    params: dict[str, str] = {}
    locale: str | None = None


class TagFollowed(Event, frozen=True, kw_only=True, tag="graph.tag.followed"):
    account_id: int
    tag: str


class CommunityJoined(Event, frozen=True, kw_only=True, tag="graph.community.joined"):
    community_id: int
    account_id: int
    role: str


class CommunityLeft(Event, frozen=True, kw_only=True, tag="graph.community.left"):
    community_id: int
    account_id: int


class CommunityInvited(Event, frozen=True, kw_only=True, tag="graph.community.invited"):
    community_id: int
    account_id: int  # the invitee
    invited_by: int


class ListMembersChanged(Event, frozen=True, kw_only=True, tag="graph.list.members_changed"):
    list_id: int
    owner_id: int
    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()


class ListDeleted(Event, frozen=True, kw_only=True, tag="graph.list.deleted"):
    list_id: int
    owner_id: int


class FiltersChanged(Event, frozen=True, kw_only=True, tag="graph.filters.changed"):
    """The account's content filters changed (a filter, keyword or filtered status created,
    changed or deleted). Gateways hear it on plain NATS: open streams reload the reader's
    filters and send Mastodon's ``filters_changed``."""
    account_id: int


class PushRequested(Event, frozen=True, kw_only=True, tag="notify.push.requested"):
    """A Web Push message for one subscription, about one new notification: published by
    notify when it makes the notification, sent by its ``notify-push`` consumer (retried
    there, so a slow or failing push service holds up nothing else)."""
    subscription_id: int
    notification_id: int
    account_id: int  # the recipient
    notification_type: str
    from_account_id: int
    status_id: int | None = None


AnyEvent = Union[
    StatusCreated, StatusDeleted, StatusUpdated, FavouriteAdded, FavouriteRemoved, ReblogCreated,
    ReblogRemoved, PollVoted, PollEnded, MediaUploaded, MediaDeleted, AccountCreated,
    FollowCreated, FollowRemoved, FollowRequested, FollowRequestRejected, BlockCreated,
    BlockRemoved, MuteCreated, MuteRemoved, AccountUpdated, AccountDeactivated, TagFollowed,
    CommunityJoined, CommunityLeft, CommunityInvited, ListMembersChanged, ListDeleted,
    AccountJoined, AccountRoleChanged, MailRequested, FiltersChanged, PushRequested,
    AccountReactivated,
]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(AnyEvent)


def encode(event: Event) -> bytes:
    return _encoder.encode(event)


def decode(data: bytes) -> AnyEvent:
    return _decoder.decode(data)
