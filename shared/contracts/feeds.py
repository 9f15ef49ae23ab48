"""The graph service's API for public feeds (Atom, RSS, JSON Feed read from outside the
network): who opted in. Off by default, per account (by the account itself) and per external
community (by its owner and admins); an internal community's posts never leave its network, so
it cannot opt in. The gateway renders the feeds (services/gateway/application/feeds.py)."""

from __future__ import annotations

import msgspec

MAX_WORLD = 10_000  # opted-in accounts (and communities) a hashtag feed looks at, newest first


class AccountFeedRef(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int


class SetAccountFeed(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    public_feed: bool


class AccountFeed(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    public_feed: bool


class CommunityFeedRef(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks: the community must be visible to it
    community_id: int


class SetCommunityFeed(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # an owner or admin of the community
    community_id: int
    public_feed: bool


class CommunityFeed(msgspec.Struct, frozen=True, kw_only=True):
    community_id: int
    external: bool
    public_feed: bool
    can_manage: bool  # the asker is an owner or admin (may switch it, if external)


class FeedScopesQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Which of these are opted in (accounts by id or by username, communities by id)."""

    account_ids: list[int] = []
    usernames: list[str] = []
    community_ids: list[int] = []


class FeedAccount(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    username: str


class FeedCommunity(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    description: str = ""


class FeedScopes(msgspec.Struct, frozen=True, kw_only=True):
    """Only the opted-in ones: an account or community missing here is not public."""

    accounts: list[FeedAccount] = []
    communities: list[FeedCommunity] = []


class WorldQuery(msgspec.Struct, frozen=True, kw_only=True):
    limit: int = MAX_WORLD


class WorldScopes(msgspec.Struct, frozen=True, kw_only=True):
    """Every opted-in account and external community (at most ``limit`` of each)."""

    account_ids: list[int] = []
    community_ids: list[int] = []
