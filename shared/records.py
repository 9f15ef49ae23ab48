"""What services hand each other over NATS and keep in the Redis caches: the owners' records.

These are domain records, not API shapes: the gateway alone turns them into Mastodon JSON.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from shared.policy import Visibility

# Every notification Hubbub creates (services/notify); the ``hubbub.`` ones are its own, which
# Mastodon clients skip. A type is added here before notify may produce it.
NotificationType = Literal[
    "mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update",
    "hubbub.community_invite", "hubbub.community_post",
    "hubbub.webhook_disabled",  # to the admin who made a webhook that kept failing
]


class AccountRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    username: str
    network_id: int
    network_domain: str
    display_name: str = ""
    note: str = ""
    locked: bool = False
    bot: bool = False
    discoverable: bool = True
    role: str = "member"
    created_at: int = 0  # ms since the Unix epoch
    followers_count: int = 0
    following_count: int = 0
    statuses_count: int = 0
    last_status_at: int | None = None
    fields: list[dict[str, str]] = []  # [{"name": ..., "value": ...}] profile metadata
    avatar_url: str | None = None
    header_url: str | None = None
    title: str = ""  # Hubbub: job title
    department: str = ""
    deactivated: bool = False
    # A sign-up is a member only once its address is confirmed and (where registrations need
    # approval) it is approved; until then its tokens answer 403 (services/gateway/scopes.py).
    # True in records cached before these were added: those accounts were all members.
    confirmed: bool = True
    approved: bool = True
    # The owner's default visibility for new posts (source[privacy]): not shown to others, but
    # kept here so that posting needs no lookup. None in records cached before it was added.
    default_privacy: Visibility | None = None
    # What the network's moderators did (services/graph/use_cases/moderate_account.py): a
    # suspended or disabled account is locked out (its tokens 401); a silenced one's posts leave
    # the public timelines of non-followers; a sensitized one's media is shown as sensitive.
    silenced: bool = False
    suspended: bool = False
    disabled: bool = False
    sensitized: bool = False

    @property
    def barred(self) -> bool:
        """Locked out: deactivated, suspended or disabled; its tokens and sign-in refused."""
        return self.deactivated or self.suspended or self.disabled


class PollRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    options: tuple[str, ...]
    votes: tuple[int, ...]  # per option, same order
    multiple: bool = False
    expires_at: int | None = None  # ms since the Unix epoch
    votes_count: int = 0
    voters_count: int = 0


# Mastodon's MediaAttachment types: what the file turned out to be, by its content (never by its
# name or the type its uploader claimed).
MediaType = Literal["image", "gifv", "video", "audio", "unknown"]


class MediaRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A file attached to a status (or uploaded to be), as every reader's JSON shows it. Keys
    name files in media storage (shared/media/storage.py); the gateway turns them into signed
    URLs when it renders, never here: a record lives in caches longer than a signature."""

    id: int
    type: MediaType = "unknown"
    key: str | None = None  # the served original; None until processed
    preview_key: str | None = None  # the small preview
    description: str = ""
    focus: tuple[float, float] | None = None  # x, y in [-1, 1]
    # Mastodon's ``meta`` (original/small width, height, size, aspect; a video's length...),
    # as processing measured it, without ``focus``. Never hashed: records are cached by id.
    meta: dict[str, Any] = {}
    blurhash: str | None = None


class CardRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A link's preview card (Mastodon's PreviewCard), as the posts service fetched it. The
    image's URL is the page's own, a third party's: the gateway does not show it (a reader's
    browser fetching it would tell that site who reads the status)."""

    url: str
    title: str = ""
    description: str = ""
    type: Literal["link", "photo", "video"] = "link"
    author_name: str = ""
    author_url: str = ""
    provider_name: str = ""
    image_url: str = ""
    width: int = 0
    height: int = 0


class StatusRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_id: int
    network_id: int
    text: str
    content_html: str
    visibility: Visibility
    created_at: int  # ms since the Unix epoch
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    in_reply_to_id: int | None = None
    in_reply_to_account_id: int | None = None
    reblog_of_id: int | None = None
    community_id: int | None = None
    mentions: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    edited_at: int | None = None
    replies_count: int = 0
    reblogs_count: int = 0
    favourites_count: int = 0
    poll: PollRecord | None = None
    media: tuple[MediaRecord, ...] = ()  # attached, in the author's order
    version: int = 0  # the row's version: caches keep the newest (see posts/status_cache)
    # The thread's root (Mastodon's conversation_id): a reply inherits its parent's, a new
    # thread starts with its own id; None for reblogs and in records cached before it was added.
    conversation_id: int | None = None
    # The preview card of the status's first link, once the cards worker fetched it.
    card: CardRecord | None = None


class NotificationRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_id: int
    type: NotificationType
    from_account_id: int
    status_id: int | None = None
    created_at: int = 0
    community_id: int | None = None  # Hubbub's community notifications
    group_key: str | None = None  # favourites, reblogs and follows: their group (Mastodon's)
    filtered: bool = False  # held back by the recipient's notification policy


# Redis keys shared by the writer (owner or consumer) and the readers (gateway).
def account_key(account_id: int) -> str:
    # Hash-tagged so that its generation key (services/graph/account_cache.py) shares its
    # cluster slot: one script reads one and writes the other.
    return f"acct:{{a{account_id}}}"


def status_key(status_id: int) -> str:
    return f"status:{status_id}"


# Timeline keys carry the version of their members' encoding (shared/ids.py ``member``): keys
# of another encoding are never read or written, so that an upgrade never mixes the two. Version
# 2 reversed the ids; the unversioned keys (``tl:{...}``) held them zero-padded and are left to
# be dropped: homes rebuild on their next read (the last-read set is versioned too, so every
# reader counts as inactive once), the others fill again as statuses come (README: operations).
TIMELINES = "tl:v2:"


def public_key(network_id: int) -> str:
    return f"{TIMELINES}{{n{network_id}}}:public"


def tag_key(network_id: int, tag: str) -> str:
    return f"{TIMELINES}{{n{network_id}}}:tag:{tag.lower()}"


def list_key(owner_id: int, list_id: int) -> str:
    return f"{TIMELINES}{{u{owner_id}}}:list:{list_id}"


def home_key(account_id: int) -> str:
    # Hash tag: a user's keys stay on one Redis Cluster slot.
    return f"{TIMELINES}{{u{account_id}}}:home"


def community_key(community_id: int) -> str:
    return f"{TIMELINES}{{c{community_id}}}:community"


# A user's timeline keys share the hash tag ``{u<id>}`` (one Redis Cluster slot), and the Lua
# scripts in shared/timelines/ take a reader's home key and last-read key together.
def own_key(account_id: int) -> str:
    """The author's own statuses (not reblogs) that followers may see: what hybrid fanout
    merges into followers' pages at read time instead of writing to each of them."""
    return f"{TIMELINES}{{u{account_id}}}:own"


def own_reblogs_key(account_id: int) -> str:
    """The author's reblogs, apart: a follower who turned reblogs off reads only ``own_key``."""
    return f"{TIMELINES}{{u{account_id}}}:own:reblogs"


def own_complete_key(account_id: int) -> str:
    """Present once the author's own timelines were rebuilt from Postgres, and gone with them
    when Redis loses its data: a rebuild cannot go by the own timeline's existence, which the
    author's first status after a loss creates again with that one entry."""
    return f"{TIMELINES}{{u{account_id}}}:own:complete"


# Readers' last home reads (or rebuilds): a sorted set, member the account id, score Unix
# seconds. One key, so that fanout checks a whole batch of readers with one ZMSCORE inside its
# script (a GET per reader cost the script more than its writes).
LAST_READ_KEY = f"{TIMELINES}lastread"


def rebuilding_key(account_id: int) -> str:
    """Present while the reader's home timeline is being rebuilt (reads answer 206)."""
    return f"{TIMELINES}{{u{account_id}}}:rebuilding"


def home_reblogs_key(account_id: int) -> str:
    """Originals recently reblogged into the home timeline (reblog deduplication)."""
    return f"{TIMELINES}{{u{account_id}}}:home:reblogs"


def big_followees_key(account_id: int) -> str:
    """The gateway's short-lived cache of the reader's followees above the fanout threshold."""
    return f"{TIMELINES}{{u{account_id}}}:big"


def fanout_deleted_key(status_id: int) -> str:
    """Fanout's own record of a deleted status, kept longer than any redelivery can come."""
    return f"fanout:deleted:{status_id}"


# Presence (shared/presence.py): who has a live connection open, and whether anyone tracks it.
ONLINE_USERS_KEY = "online:users"
PRESENCE_TRACKED_KEY = "online:tracked"


_pack = msgspec.msgpack.Encoder()
_account_decoder = msgspec.msgpack.Decoder(AccountRecord)
_status_decoder = msgspec.msgpack.Decoder(StatusRecord)


def pack(record: msgspec.Struct) -> bytes:
    return _pack.encode(record)


def unpack_account(data: bytes) -> AccountRecord:
    return _account_decoder.decode(data)


def unpack_status(data: bytes) -> StatusRecord:
    return _status_decoder.decode(data)


def unpack_cached_status(data: bytes) -> StatusRecord:
    """A cached status is ``b"<row version>|" + msgpack`` (see services/posts/status_cache)."""
    return _status_decoder.decode(memoryview(data)[data.index(b"|") + 1:])
