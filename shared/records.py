"""What services hand each other over NATS and keep in the Redis caches: the owners' records.

These are domain records, not API shapes: the gateway alone turns them into Mastodon JSON.
"""

from __future__ import annotations

import msgspec


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


class PollRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    options: tuple[str, ...]
    votes: tuple[int, ...]  # per option, same order
    multiple: bool = False
    expires_at: int | None = None  # ms since the Unix epoch
    votes_count: int = 0
    voters_count: int = 0


class StatusRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_id: int
    network_id: int
    text: str
    content_html: str
    visibility: str
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
    version: int = 0  # the row's version: caches keep the newest (see posts/status_cache)


class NotificationRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_id: int
    type: str
    from_account_id: int
    status_id: int | None = None
    created_at: int = 0
    community_id: int | None = None  # Hubbub's community notifications


# Redis keys shared by the writer (owner or consumer) and the readers (gateway).
def account_key(account_id: int) -> str:
    return f"acct:{account_id}"


def status_key(status_id: int) -> str:
    return f"status:{status_id}"


def public_key(network_id: int) -> str:
    return f"tl:{{n{network_id}}}:public"


def tag_key(network_id: int, tag: str) -> str:
    return f"tl:{{n{network_id}}}:tag:{tag.lower()}"


def list_key(owner_id: int, list_id: int) -> str:
    return f"tl:{{u{owner_id}}}:list:{list_id}"


def home_key(account_id: int) -> str:
    # Hash tag: a user's keys stay on one Redis Cluster slot.
    return f"tl:{{u{account_id}}}:home"


def community_key(community_id: int) -> str:
    return f"tl:{{c{community_id}}}:community"


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
