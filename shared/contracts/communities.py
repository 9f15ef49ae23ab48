"""The graph service's community API: communities, memberships, join requests, invitations.

Every request names the acting account (``account_id``): the graph decides what that account
may see and do. A community the account may not see is ``NotFound``, as if it did not exist.
"""

from __future__ import annotations

import msgspec

OPEN, APPROVAL = "open", "approval"
MEMBERSHIPS = (OPEN, APPROVAL)
OWNER, ADMIN, MEMBER, GUEST = "owner", "admin", "member", "guest"
MANAGERS = (OWNER, ADMIN)


class CommunityRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A community as one reader sees it: ``role``, ``requested`` and ``invited`` are the
    reader's."""

    id: int
    network_id: int  # the host network
    network_domain: str
    name: str
    description: str = ""
    membership: str = OPEN
    external: bool = False  # accounts of other networks may be invited (as guests)
    members_count: int = 0
    created_by: int = 0
    created_at: int = 0  # ms since the Unix epoch
    role: str | None = None  # the reader's role, None when not a member
    requested: bool = False  # the reader asked to join and waits for approval
    invited: bool = False  # the reader was invited and has not joined yet


class CreateCommunity(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the creator, who becomes the owner
    name: str
    description: str = ""
    membership: str = OPEN
    external: bool = False


class ListCommunities(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    q: str = ""  # case-insensitive substring of the name
    limit: int = 40


class Communities(msgspec.Struct, frozen=True, kw_only=True):
    communities: list[CommunityRecord]


class CommunityRef(msgspec.Struct, frozen=True, kw_only=True):
    """One account and one community: get, join, leave."""

    account_id: int
    community_id: int


class CommunityTarget(msgspec.Struct, frozen=True, kw_only=True):
    """A manager acting on another account in a community: approve, reject, invite, remove."""

    account_id: int
    community_id: int
    target_id: int


class ChangeRole(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the owner
    community_id: int
    target_id: int
    role: str  # admin or member


class Membership(msgspec.Struct, frozen=True, kw_only=True):
    community_id: int
    account_id: int
    role: str
    joined_at: int = 0  # ms since the Unix epoch


class MembersPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of a community's members, newest account id first (Mastodon's max/since/min)."""

    account_id: int  # the reader
    community_id: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 40


class Members(msgspec.Struct, frozen=True, kw_only=True):
    members: list[Membership]


class RequestsPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of pending join requests, newest first by request id."""

    account_id: int  # an owner or admin
    community_id: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 40


class JoinRequest(msgspec.Struct, frozen=True, kw_only=True):
    id: int  # the request's id: the page cursor
    account_id: int
    created_at: int = 0


class JoinRequests(msgspec.Struct, frozen=True, kw_only=True):
    requests: list[JoinRequest]


class Done(msgspec.Struct, frozen=True, kw_only=True):
    """A command whose answer is only that it was carried out (or already was)."""

    changed: bool


class NotifySetting(msgspec.Struct, frozen=True, kw_only=True):
    """A member asks (or stops asking) to be told of every post in the community."""

    account_id: int
    community_id: int
    notify: bool


class NotifiedMembers(msgspec.Struct, frozen=True, kw_only=True):
    community_id: int
    after_id: int = 0
    limit: int = 1000


class CommunityBotRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A community manager (``account_id``: an owner or admin, else Forbidden) asks for the
    community's bot account, the author of what outside feeds and incoming webhooks post.
    ``create``: make the bot when the community has none yet (adding a feed or a hook);
    without it (listing, removing) the reply's ``bot_id`` may be None."""

    account_id: int
    community_id: int
    create: bool = True


class CommunityBot(msgspec.Struct, frozen=True, kw_only=True):
    community_id: int
    network_id: int  # the community's (host) network: the bot's network
    bot_id: int | None = None
