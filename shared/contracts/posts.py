"""The posts service's API: statuses and what people do with them."""

from __future__ import annotations

from typing import Literal

import msgspec

from shared.contracts import integrations as int_api
from shared.contracts.verb import IDEMPOTENT, READ, WRITE, VerbSet
from shared.events import MediaPurpose
from shared.policy import Visibility
from shared.records import CardRecord, MediaRecord, MediaType, PollRecord, StatusRecord

SERVICE = "posts"


class PollSpec(msgspec.Struct, frozen=True, kw_only=True):
    options: list[str]
    expires_in: int  # seconds
    multiple: bool = False


class CreateStatus(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    network_id: int
    text: str
    visibility: Visibility = "public"  # the gateway checks a client's value first (422)
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    in_reply_to_id: int | None = None
    idempotency_key: str | None = None
    poll: PollSpec | None = None
    community_id: int | None = None
    # The author's own uploads, processed and not attached elsewhere, in the order shown.
    media_ids: list[int] = []
    # What the network's moderators did to the author, from its record (the gateway's, or
    # graph's when a scheduled status is due): silenced, no public or hashtag stream announces
    # it (Mastodon's broadcastable?); sensitized, its media is marked sensitive.
    author_silenced: bool = False
    author_sensitized: bool = False


class MediaAttribute(msgspec.Struct, frozen=True, kw_only=True):
    """An attached file's description or focus changed with an edit (``media_attributes``)."""

    id: int
    description: str | None = None
    focus: tuple[float, float] | None = None


class EditStatus(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    status_id: int
    text: str
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    poll: PollSpec | None = None
    media_ids: list[int] | None = None  # None: the attachments stay as they are
    media_attributes: list[MediaAttribute] = []


class StatusAction(msgspec.Struct, frozen=True, kw_only=True):
    """One account acting on one status: favourite, reblog, bookmark, pin, delete, ...
    ``network_id``: the account's network, when the caller knows it (the gateway does): lets
    posts decide a public status of that network visible without asking graph."""

    account_id: int
    status_id: int
    network_id: int | None = None


class DeleteStatus(StatusAction, frozen=True, kw_only=True):
    """The author deletes a status. Its attachments are detached, kept for a redraft (Mastodon's
    delete-and-redraft posts them again) until the orphan chore takes them; ``delete_media``:
    deleted with it at once."""

    delete_media: bool = False


class GetStatuses(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]


class Statuses(msgspec.Struct, frozen=True, kw_only=True):
    statuses: list[StatusRecord]


class RecentByAuthor(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    limit: int = 40
    include_reblogs: bool = True


class Ids(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]


class Thread(msgspec.Struct, frozen=True, kw_only=True):
    """A status's ancestors (oldest first) and descendants (depth-first, in reply order);
    unfiltered: the reader's visibility is applied by the caller."""

    ancestors: list[StatusRecord]
    descendants: list[StatusRecord]


class Page(msgspec.Struct, frozen=True, kw_only=True):
    """A page of a list ordered by ``cursor`` (newest first): e.g. favourites by id."""

    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 40


class StatusPage(msgspec.Struct, frozen=True, kw_only=True):
    status_id: int
    page: Page = Page()


class AccountPage(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    page: Page = Page()


class PageItem(msgspec.Struct, frozen=True, kw_only=True):
    cursor: int  # what Link headers page by
    id: int  # an account id or a status id


class PageItems(msgspec.Struct, frozen=True, kw_only=True):
    items: list[PageItem]


class ViewerFlagsRequest(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    ids: list[int]


class ViewerFlags(msgspec.Struct, frozen=True, kw_only=True):
    favourited: list[int] = []
    reblogged: list[int] = []
    bookmarked: list[int] = []
    pinned: list[int] = []
    poll_votes: dict[int, list[int]] = {}  # poll id -> the viewer's choices


class Edit(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    content_html: str
    spoiler_text: str
    sensitive: bool
    created_at: int
    poll_options: list[str] | None = None


class History(msgspec.Struct, frozen=True, kw_only=True):
    status: StatusRecord
    edits: list[Edit]


class Vote(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    poll_id: int
    choices: list[int]


class GetPoll(msgspec.Struct, frozen=True, kw_only=True):
    poll_id: int


class PollReply(msgspec.Struct, frozen=True, kw_only=True):
    status: StatusRecord  # the poll's status: the caller checks visibility
    poll: PollRecord


class Reblog(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    status_id: int
    network_id: int
    # A client's value, checked by the use case after the status (so that a reblog of a status
    # the client may not see is a 404 whatever the visibility says): a str, not a Visibility.
    visibility: str = "public"


class AuthorStatuses(msgspec.Struct, frozen=True, kw_only=True):
    """A page of one author's statuses (a profile), newest first; unfiltered by visibility:
    the caller applies the reader's."""

    account_id: int
    page: Page = Page()
    exclude_replies: bool = False  # replies to others; the author's own threads stay
    exclude_reblogs: bool = False
    pinned: bool = False
    tagged: str | None = None  # lower case
    only_media: bool = False  # statuses with attachments only


class RecentInCommunity(msgspec.Struct, frozen=True, kw_only=True):
    community_id: int
    limit: int = 40
    include_private: bool = False


class HomeRebuild(msgspec.Struct, frozen=True, kw_only=True):
    """The newest statuses of a home timeline, from Postgres: the reader's own, its followees'
    (not direct, not in communities; reblogs unless turned off), its communities' (private
    ones of followed authors only), and its network's public posts with followed hashtags."""

    account_id: int
    followees: list[int] = []
    no_reblogs: list[int] = []
    communities: list[int] = []
    tags: list[str] = []
    network_id: int = 0
    limit: int = 800
    direct_days: int = 0  # direct messages to the reader from this many days back (0: none)


class TimelineEntries(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]  # newest first
    reblogs: dict[int, int] = {}  # reblog id -> original id, for the reblogs among ids


class AuthorTimeline(msgspec.Struct, frozen=True, kw_only=True):
    """An author's newest statuses that followers may see, and apart its reblogs."""

    account_id: int
    limit: int = 800


class AuthorTimelineIds(msgspec.Struct, frozen=True, kw_only=True):
    statuses: list[int]
    reblogs: list[int]


class DirectPage(msgspec.Struct, frozen=True, kw_only=True):
    """Every direct message in id order, a page at a time (rebuilds of all home timelines)."""

    after_id: int = 0
    limit: int = 1000


class DirectMessage(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    mentions: list[int]


class DirectMessages(msgspec.Struct, frozen=True, kw_only=True):
    messages: list[DirectMessage]


class TagTrends(msgspec.Struct, frozen=True, kw_only=True):
    """The hashtags most used in a network's public posts over the last week."""

    network_id: int
    limit: int = 10
    offset: int = 0


class TagDay(msgspec.Struct, frozen=True, kw_only=True):
    day: int  # Unix seconds of the day's start (UTC)
    uses: int  # statuses
    accounts: int  # distinct authors


class TagTrend(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    history: list[TagDay]  # the last TREND_DAYS days, newest first, days without use as 0


class TagTrendList(msgspec.Struct, frozen=True, kw_only=True):
    tags: list[TagTrend]


class TagUsage(msgspec.Struct, frozen=True, kw_only=True):
    """How an author used hashtags in public and unlisted posts (featured tags): the ``tags``
    named (lower case), or, when none is named, the ``limit`` most used (suggestions)."""

    account_id: int
    tags: list[str] = []
    limit: int = 10


class TagUse(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    statuses_count: int
    last_status_at: int | None  # ms since the Unix epoch


class TagUses(msgspec.Struct, frozen=True, kw_only=True):
    tags: list[TagUse]


class WeeklyStatuses(msgspec.Struct, frozen=True, kw_only=True):
    """Statuses a network posted per week since ``since_ms`` (instance activity)."""

    network_id: int
    since_ms: int


class WeekCount(msgspec.Struct, frozen=True, kw_only=True):
    week_ms: int
    count: int


class WeekCounts(msgspec.Struct, frozen=True, kw_only=True):
    weeks: list[WeekCount]


class Trends(msgspec.Struct, frozen=True, kw_only=True):
    """A page of a network's trending statuses or links (offset paging, as Mastodon's)."""

    network_id: int
    limit: int = 20
    offset: int = 0


class LinkTrend(msgspec.Struct, frozen=True, kw_only=True):
    card: CardRecord
    history: list[TagDay]  # the last TREND_DAYS days, newest first: shares and sharers


class LinkTrendList(msgspec.Struct, frozen=True, kw_only=True):
    links: list[LinkTrend]


class LinkTimeline(msgspec.Struct, frozen=True, kw_only=True):
    """A network's public statuses whose card is the link at ``url`` (newest first)."""

    network_id: int
    url: str
    page: Page = Page()


# --- media ---------------------------------------------------------------------------------------

MediaState = Literal["processing", "ready", "failed"]


class CreateMedia(msgspec.Struct, frozen=True, kw_only=True):
    """A file the gateway stored as uploaded (``upload_key``), after checking its size and
    sniffing its type: its row, to be processed by the media worker."""

    media_id: int  # made by the gateway, whose key names it
    account_id: int
    upload_key: str
    type: MediaType  # what sniffing found
    purpose: MediaPurpose = "attachment"
    description: str = ""
    focus: tuple[float, float] | None = None
    thumbnail_key: str | None = None  # a picture the uploader gave for a video or audio file


class MediaRef(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks: only the uploader sees or changes its media
    media_id: int


class UpdateMedia(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    media_id: int
    description: str | None = None  # None: unchanged
    focus: tuple[float, float] | None = None
    thumbnail_key: str | None = None  # a new thumbnail, stored already: processed again


class MediaInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A media row as its owner sees it: the record, and where it stands."""

    media: MediaRecord
    account_id: int
    state: MediaState
    purpose: MediaPurpose = "attachment"
    status_id: int | None = None  # the status it is attached to
    failure: str | None = None  # why processing refused it (state ``failed``)


# Every verb posts answers (``hubbub.svc.posts.<name>``), declared once: callers use
# ``bus.call(nc, posts_api.STATUS_GET, ...)``, and posts' host refuses to start unless it
# serves each of them.
class ActivityQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A network's activity on the days from ``start`` to ``end`` (UTC, YYYY-MM-DD, both in)."""

    network_id: int
    start: str
    end: str


class ActivityDay(msgspec.Struct, frozen=True, kw_only=True):
    day: str  # YYYY-MM-DD
    active_ids: list[int] = []  # who posted, replied, reblogged or favourited
    interactions: int = 0  # replies, reblogs and favourites of the network's statuses


class Activity(msgspec.Struct, frozen=True, kw_only=True):
    days: list[ActivityDay]
    languages: dict[str, int] = {}  # original statuses by language ("und": none given)


class WorldFeed(msgspec.Struct, frozen=True, kw_only=True):
    """A public feed's newest statuses (services/gateway/application/feeds.py): public, not
    reblogs, not deleted, by ``account_ids`` outside communities or in ``community_ids``,
    with ``tag`` (lower case) when given. The caller names only opted-in scopes and still
    applies the visibility policy."""

    account_ids: list[int] = []
    community_ids: list[int] = []
    tag: str | None = None
    limit: int = 20


VERBS = VerbSet(SERVICE)
_verb = VERBS.declare

# Statuses: write, read, threads and edit history
# Its key goes into the status's own idempotency row (services/posts/use_cases/post_status.py).
STATUS_CREATE = _verb("status.create", CreateStatus, StatusRecord, kind=WRITE,
                      dedupes_itself=True)
STATUS_EDIT = _verb("status.edit", EditStatus, StatusRecord, kind=WRITE)
STATUS_DELETE = _verb("status.delete", DeleteStatus, StatusRecord, kind=WRITE)
STATUS_GET = _verb("status.get", GetStatuses, Statuses, kind=READ)
STATUS_BY_AUTHOR = _verb("status.by_author", AuthorStatuses, Statuses, kind=READ)
STATUS_THREAD = _verb("status.thread", StatusAction, Thread, kind=READ)
STATUS_HISTORY = _verb("status.history", StatusAction, History, kind=READ)
STATUS_VIEWER_FLAGS = _verb("status.viewer_flags", ViewerFlagsRequest, ViewerFlags, kind=READ)

# Reactions, and the pages of who reacted or what a reader kept
FAVOURITE_ADD = _verb("favourite.add", StatusAction, StatusRecord, kind=IDEMPOTENT)
FAVOURITE_REMOVE = _verb("favourite.remove", StatusAction, StatusRecord, kind=IDEMPOTENT)
REBLOG_ADD = _verb("reblog.add", Reblog, StatusRecord, kind=WRITE)
REBLOG_REMOVE = _verb("reblog.remove", StatusAction, StatusRecord, kind=WRITE)
BOOKMARK_ADD = _verb("bookmark.add", StatusAction, StatusRecord, kind=IDEMPOTENT)
BOOKMARK_REMOVE = _verb("bookmark.remove", StatusAction, StatusRecord, kind=IDEMPOTENT)
PIN_ADD = _verb("pin.add", StatusAction, StatusRecord, kind=WRITE)
PIN_REMOVE = _verb("pin.remove", StatusAction, StatusRecord, kind=WRITE)
STATUS_FAVOURITED_BY = _verb("status.favourited_by", StatusPage, PageItems, kind=READ)
STATUS_REBLOGGED_BY = _verb("status.reblogged_by", StatusPage, PageItems, kind=READ)
FAVOURITES_LIST = _verb("favourites.list", AccountPage, PageItems, kind=READ)
BOOKMARKS_LIST = _verb("bookmarks.list", AccountPage, PageItems, kind=READ)

# Media: uploads and their descriptions (attaching is part of status.create and status.edit)
MEDIA_CREATE = _verb("media.create", CreateMedia, MediaInfo, kind=WRITE)
MEDIA_GET = _verb("media.get", MediaRef, MediaInfo, kind=READ)
MEDIA_UPDATE = _verb("media.update", UpdateMedia, MediaInfo, kind=WRITE)
MEDIA_DELETE = _verb("media.delete", MediaRef, MediaInfo, kind=WRITE)

# Polls
POLL_GET = _verb("poll.get", GetPoll, PollReply, kind=READ)
POLL_VOTE = _verb("poll.vote", Vote, PollReply, kind=WRITE)

# The network's activity for its admins' dashboard (graph checked the asker's role first).
ADMIN_ACTIVITY = _verb("admin.activity", ActivityQuery, Activity, kind=READ)
# Trends of a network: hashtags, statuses, links; and the statuses sharing a link
TAG_TRENDS = _verb("tag.trends", TagTrends, TagTrendList, kind=READ)
TAG_USAGE = _verb("tag.usage", TagUsage, TagUses, kind=READ)
STATUS_WEEKLY = _verb("status.weekly", WeeklyStatuses, WeekCounts, kind=READ)
STATUS_TRENDS = _verb("status.trends", Trends, Ids, kind=READ)
LINK_TRENDS = _verb("link.trends", Trends, LinkTrendList, kind=READ)
LINK_TIMELINE = _verb("link.timeline", LinkTimeline, Ids, kind=READ)

# What fanout asks to fill and rebuild timelines
STATUS_RECENT_BY_AUTHOR = _verb("status.recent_by_author", RecentByAuthor, Ids, kind=READ)
STATUS_RECENT_IN_COMMUNITY = _verb("status.recent_in_community", RecentInCommunity, Ids, kind=READ)
STATUS_HOME_REBUILD = _verb("status.home_rebuild", HomeRebuild, TimelineEntries, kind=READ)
STATUS_DIRECT_PAGE = _verb("status.direct_page", DirectPage, DirectMessages, kind=READ)
STATUS_AUTHOR_TIMELINE = _verb("status.author_timeline", AuthorTimeline, AuthorTimelineIds,
                               kind=READ)

# Public feeds (Atom, RSS, JSON Feed)
STATUS_WORLD_FEED = _verb("status.world_feed", WorldFeed, Statuses, kind=READ)

# What flows into a community from outside (Structs in shared/contracts/integrations.py):
# inbound feeds and incoming webhooks, managed by the community's owner and admins
FEED_ADD = _verb("feed.add", int_api.AddFeed, int_api.FeedRecord, kind=WRITE)
FEED_LIST = _verb("feed.list", int_api.CommunityItems, int_api.Feeds, kind=READ)
FEED_REMOVE = _verb("feed.remove", int_api.ItemRef, int_api.Done, kind=WRITE)
HOOK_CREATE = _verb("hook.create", int_api.CreateHook, int_api.HookRecord, kind=WRITE)
HOOK_LIST = _verb("hook.list", int_api.CommunityItems, int_api.Hooks, kind=READ)
HOOK_DELETE = _verb("hook.delete", int_api.ItemRef, int_api.Done, kind=WRITE)
HOOK_POST = _verb("hook.post", int_api.PostThroughHook, int_api.Posted, kind=WRITE)


# --- Scheduled statuses (Mastodon's ScheduledStatus): one block, structs and verbs ---------------

class ScheduleStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A status to post at ``scheduled_at`` (ms since the Unix epoch). ``status`` is checked now
    as a post would be; its ``idempotency_key`` (the client's, scoped) makes a retried request
    answer with the first scheduled status, ``idempotency`` is that key as the client sent it."""

    status: CreateStatus
    scheduled_at: int
    application_id: int | None = None
    idempotency: str | None = None


class ScheduledStatusRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_id: int
    scheduled_at: int  # ms since the Unix epoch
    status: CreateStatus  # what will be posted (no idempotency key: publication makes its own)
    application_id: int | None = None
    idempotency: str | None = None


class ScheduledStatusAction(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    scheduled_status_id: int


class RescheduleStatus(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    scheduled_status_id: int
    scheduled_at: int  # ms since the Unix epoch


class ScheduledStatuses(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ScheduledStatusRecord]  # newest scheduled (by id) first


SCHEDULED_STATUS_CREATE = _verb("scheduled_status.create", ScheduleStatus, ScheduledStatusRecord,
                                kind=WRITE)
SCHEDULED_STATUS_LIST = _verb("scheduled_status.list", AccountPage, ScheduledStatuses, kind=READ)
SCHEDULED_STATUS_GET = _verb("scheduled_status.get", ScheduledStatusAction, ScheduledStatusRecord,
                             kind=READ)
SCHEDULED_STATUS_UPDATE = _verb("scheduled_status.update", RescheduleStatus,
                                ScheduledStatusRecord, kind=WRITE)
SCHEDULED_STATUS_CANCEL = _verb("scheduled_status.cancel", ScheduledStatusAction,
                                ScheduledStatusRecord, kind=WRITE)
