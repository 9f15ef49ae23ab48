"""The graph service's API for account extras: private notes, endorsements (accounts featured
on a profile), featured hashtags, familiar followers, the profile directory, and a network's
weekly registrations (instance activity)."""

from __future__ import annotations

from typing import Literal

import msgspec

MAX_NOTE = 2_000  # characters of a private note (Mastodon's AccountNote limit)
MAX_FEATURED_TAGS = 10  # the instance's configuration.accounts.max_featured_tags


class SetNote(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the note's author, the only one who sees it
    target_id: int
    comment: str  # empty clears it


class FeaturedTagRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_id: int
    name: str  # as its owner wrote it
    tag: str  # lower case: what statuses carry


class FeaturedTagsOf(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int


class FeaturedTags(msgspec.Struct, frozen=True, kw_only=True):
    tags: list[FeaturedTagRecord]


class FeatureTag(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    name: str
    # tags/:id/feature answers the tag when it is featured already; POST /featured_tags refuses
    # the same name twice (422), as Mastodon does.
    again_ok: bool = False


class UnfeatureTag(msgspec.Struct, frozen=True, kw_only=True):
    """By the featured tag's id (DELETE /featured_tags/:id) or by its name (tags/:id/unfeature)."""

    account_id: int
    id: int | None = None
    name: str | None = None


class FamiliarFollowersOf(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the reader
    ids: list[int]


class Familiar(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_ids: list[int]  # accounts the reader follows that follow ``id``


class FamiliarFollowers(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Familiar]


class DirectoryPage(msgspec.Struct, frozen=True, kw_only=True):
    """The reader's network's discoverable members (Hubbub has no remote accounts: ``local``
    changes nothing)."""

    account_id: int
    order: Literal["active", "new"] = "active"
    offset: int = 0
    limit: int = 40


class WeeklyActivity(msgspec.Struct, frozen=True, kw_only=True):
    """Answered with posts' ``WeekCounts`` (shared/contracts/posts.py), as posts' weekly
    statuses are."""

    network_id: int
    since_ms: int  # the first week's start (ms since the Unix epoch, a Monday 00:00 UTC)


