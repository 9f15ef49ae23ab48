"""What flows into a community from outside, owned by the posts service (which owns statuses):
inbound feeds and incoming webhooks. The verbs are posts' (shared/contracts/posts.py).

Every management request names the acting account (``account_id``): posts asks graph whether
it is the community's owner or an admin (``community.bot``), as graph decides for members."""

from __future__ import annotations

import msgspec


class AddFeed(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    community_id: int
    url: str


class CommunityItems(msgspec.Struct, frozen=True, kw_only=True):
    """The feeds (or hooks) of one community, for its managers."""

    account_id: int
    community_id: int


class ItemRef(msgspec.Struct, frozen=True, kw_only=True):
    """One feed (or hook) of a community, for its managers: remove it."""

    account_id: int
    community_id: int
    item_id: int


class FeedRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    community_id: int
    url: str
    title: str = ""
    created_at: int = 0  # ms since the Unix epoch, as the times below (0 / None: never)
    interval_s: int = 0
    last_polled_at: int | None = None
    last_success_at: int | None = None
    next_poll_at: int | None = None
    last_error: str | None = None
    failures: int = 0
    items_posted: int = 0


class Feeds(msgspec.Struct, frozen=True, kw_only=True):
    feeds: list[FeedRecord]


class CreateHook(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    community_id: int
    name: str = ""


class HookRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    community_id: int
    name: str
    token_prefix: str  # the token's first characters: enough to tell hooks apart
    created_at: int = 0
    last_used_at: int | None = None
    token: str | None = None  # the secret, in the answer that created the hook only


class Hooks(msgspec.Struct, frozen=True, kw_only=True):
    hooks: list[HookRecord]


class PostThroughHook(msgspec.Struct, frozen=True, kw_only=True):
    """A partner's post: the hook's token is its only credential."""

    token: str
    text: str | None  # None: the body had no non-empty string ``text`` (or was not JSON)


class Posted(msgspec.Struct, frozen=True, kw_only=True):
    status_id: int
    community_id: int


class Done(msgspec.Struct, frozen=True, kw_only=True):
    pass
