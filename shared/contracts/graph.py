"""The graph service's API: accounts, networks, follows."""

from __future__ import annotations

import msgspec

from shared import policy
from shared.records import AccountRecord

SERVICE = "graph"


class RegisterAccount(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    email: str
    password: str
    display_name: str = ""
    locale: str | None = None


class Authenticate(msgspec.Struct, frozen=True, kw_only=True):
    login: str  # e-mail or username
    password: str


class GetAccounts(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]


class LookupAccounts(msgspec.Struct, frozen=True, kw_only=True):
    usernames: list[str]


class Accounts(msgspec.Struct, frozen=True, kw_only=True):
    accounts: list[AccountRecord]


class Follow(msgspec.Struct, frozen=True, kw_only=True):
    follower_id: int
    followee_id: int
    reblogs: bool = True
    notify: bool = False


class Unfollow(msgspec.Struct, frozen=True, kw_only=True):
    follower_id: int
    followee_id: int


class Relationship(msgspec.Struct, frozen=True, kw_only=True):
    id: int  # the other account
    following: bool = False
    showing_reblogs: bool = False
    notifying: bool = False
    followed_by: bool = False
    requested: bool = False


class GetRelationships(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    ids: list[int]


class Relationships(msgspec.Struct, frozen=True, kw_only=True):
    relationships: list[Relationship]


class FollowerIds(msgspec.Struct, frozen=True, kw_only=True):
    """A page of follower ids in id order: ``after_id`` is the last id of the previous page."""

    account_id: int
    after_id: int = 0
    limit: int = 10_000
    reblogs_only: bool = False  # only followers who want this account's reblogs


class Ids(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]


class CommunityMemberIds(msgspec.Struct, frozen=True, kw_only=True):
    """A page of a community's member ids in id order (for fanout)."""

    community_id: int
    after_id: int = 0
    limit: int = 10_000


class TagFollowerIds(msgspec.Struct, frozen=True, kw_only=True):
    """Accounts of a network that follow any of these (lower-case) hashtags."""

    tags: list[str]
    network_id: int


class CanPost(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    community_id: int


class ViewerFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What the visibility policy needs to know about a reader."""

    account_id: int


class ViewerFactsReply(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    network_id: int
    following: list[int]
    communities: list[int] = []
    blocked: list[int] = []  # accounts that block this viewer, or that it blocks
    muted: list[int] = []  # accounts whose posts this viewer does not want to see

    def viewer(self) -> policy.Viewer:
        return policy.Viewer(account_id=self.account_id, network_id=self.network_id,
                             following=frozenset(self.following),
                             communities=frozenset(self.communities),
                             blocked=frozenset(self.blocked))
