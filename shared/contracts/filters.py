"""The graph service's API for content filters: Mastodon's v2 filters (a title, the contexts
where it applies, an action, an expiry, and its rules: keywords and statuses), and the v1 API as
Mastodon maps it onto them (a v1 filter is one keyword, named by the keyword's id).

Filters belong to their account, which graph owns; the gateway applies them on every read
(services/gateway/hydrate/reader_filters.py) from the reader's cached set
(shared/viewer_cache.py), which graph fills and forgets."""

from __future__ import annotations

import msgspec

# Where a filter applies (Mastodon's contexts): the home timeline and lists, notifications,
# public timelines (the network's, hashtags, communities), threads, and account profiles.
CONTEXTS = ("home", "notifications", "public", "thread", "account")
# What a match does: warn (shown collapsed, "Filtered: <title>"), hide (left out altogether),
# blur (Mastodon 4.4: media blurred).
ACTIONS = ("warn", "hide", "blur")

MAX_FILTERS = 100  # per account
MAX_KEYWORDS = 1_000  # per filter
MAX_STATUSES = 1_000  # per filter
MAX_KEYWORD_CHARS = 512
MAX_TITLE_CHARS = 256
# Across all of an account's filters. Each reader's filters are cached whole and cross NATS
# (1 MiB a message) when a gateway first needs them: without a total, 100 filters of 1,000
# keywords of 512 characters would be 51 MB compiled into regular expressions on every gateway.
MAX_KEYWORD_CHARS_TOTAL = 100_000
MAX_STATUSES_TOTAL = 10_000
MAX_EXPIRES_IN_S = 10 * 365 * 24 * 3600


class FilterKeyword(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    filter_id: int
    keyword: str
    whole_word: bool = True


class FilterStatus(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    filter_id: int
    status_id: int


class FilterRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_id: int
    title: str
    context: list[str]
    action: str = "warn"
    expires_at: int | None = None  # ms since the Unix epoch; None: never
    keywords: list[FilterKeyword] = []
    statuses: list[FilterStatus] = []


class KeywordChange(msgspec.Struct, frozen=True, kw_only=True):
    """One of ``keywords_attributes``: a new keyword (no id), a change to one (id), or its
    removal (id and destroy)."""

    id: int | None = None
    keyword: str | None = None
    whole_word: bool | None = None
    destroy: bool = False


class SaveFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Create (no id: title and context required) or update (what is given changes)."""

    account_id: int
    id: int | None = None
    title: str | None = None
    context: list[str] | None = None
    action: str | None = None
    # Seconds from now; None: never. Applied only with ``set_expiry`` (an update that does not
    # name expires_in keeps the expiry).
    expires_in: int | None = None
    set_expiry: bool = False
    keywords: list[KeywordChange] = []


class FilterRef(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the owner: every filter call is the owner's
    id: int


class OwnerFilters(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    filters: list[FilterRecord]


class SaveKeyword(msgspec.Struct, frozen=True, kw_only=True):
    """Add a keyword to ``filter_id``, or change keyword ``id`` (what is given changes)."""

    account_id: int
    filter_id: int | None = None
    id: int | None = None
    keyword: str | None = None
    whole_word: bool | None = None


class KeywordFound(msgspec.Struct, frozen=True, kw_only=True):
    """A keyword with the filter it belongs to (what a v1 filter is made of)."""

    keyword: FilterKeyword
    filter: FilterRecord


class AddFilterStatus(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    filter_id: int
    status_id: int  # the gateway checked that the owner may see it


class SaveV1Filter(msgspec.Struct, frozen=True, kw_only=True):
    """Mastodon's v1 filter: one keyword (``phrase``) with the filter around it. Create (no id)
    makes a filter titled by the phrase; update (``id``: the keyword's) changes the keyword
    and, when it is the filter's only one, the filter."""

    account_id: int
    id: int | None = None
    phrase: str | None = None
    context: list[str] | None = None
    irreversible: bool | None = None  # hide, not warn
    whole_word: bool | None = None
    expires_in: int | None = None
    set_expiry: bool = False


class ReaderFilters(msgspec.Struct, frozen=True, kw_only=True):
    """A reader's filters that can match something (not expired, with keywords or statuses),
    as the gateway compiles them; ``stamp`` names this very set (a digest of it)."""

    stamp: str
    filters: list[FilterRecord] = []
