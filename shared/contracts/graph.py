"""The graph service's API: accounts, networks, follows."""

from __future__ import annotations

import sys
from array import array

import msgspec

from shared import policy
from shared.contracts import account_extras as extras_api
from shared.contracts import communities as communities_api
from shared.contracts import feeds as feeds_api
from shared.contracts import filters as filters_api
from shared.contracts import lists as lists_api
from shared.contracts import membership as membership_api
from shared.contracts import moderation as mod_api
from shared.contracts import network_admin as admin_api
from shared.contracts import posts as posts_api
from shared.contracts import scim as scim_api
from shared.contracts import sso as sso_api
from shared.contracts.verb import IDEMPOTENT, READ, WRITE, VerbSet
from shared.records import AccountRecord

SERVICE = "graph"


class RegisterAccount(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    email: str
    password: str
    display_name: str = ""
    locale: str | None = None
    # The client's address as the gateway's rate limiter sees it (behind trusted proxies): the
    # network's IP blocks apply to it.
    ip: str | None = None


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
    requested_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    endorsed: bool = False  # featured on the asker's profile
    note: str = ""  # the asker's private note about the other account


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
    notify_only: bool = False  # only followers who asked to be notified of its posts


class Ids(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]


class CommunityMemberIds(msgspec.Struct, frozen=True, kw_only=True):
    """A page of a community's member ids in id order (for fanout)."""

    community_id: int
    after_id: int = 0
    limit: int = 10_000
    followers_of: int | None = None  # only members who follow this account (private posts)


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
    # Seconds until the first of the viewer's timed mutes ends (None: none is timed). No event
    # marks that moment: a streaming session asks again then.
    mute_ends_in_s: float | None = None

    def viewer(self) -> policy.Viewer:
        return policy.Viewer(account_id=self.account_id, network_id=self.network_id,
                             following=frozenset(self.following),
                             communities=frozenset(self.communities),
                             blocked=frozenset(self.blocked))


class AccountPair(msgspec.Struct, frozen=True, kw_only=True):
    """One account acting on another: authorize, reject, block, unblock, unmute, remove..."""

    account_id: int
    target_id: int


class Mute(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    target_id: int
    notifications: bool = True
    duration: int = 0  # seconds; 0 = until unmuted


class RelationPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of the caller's blocks, mutes or follow requests, newest first by row id."""

    account_id: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 40


class RelationItem(msgspec.Struct, frozen=True, kw_only=True):
    cursor: int
    account_id: int


class RelationItems(msgspec.Struct, frozen=True, kw_only=True):
    items: list[RelationItem]


class NotificationAllowed(msgspec.Struct, frozen=True, kw_only=True):
    recipient_id: int
    from_account_id: int
    facts: bool = False  # also what the recipient's notification policy weighs (below)


class Allowed(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    # With ``facts``: does the recipient follow the sender, since when (ms) has the sender
    # followed the recipient, and when (ms) was the sender's account made.
    recipient_follows: bool = False
    follower_since: int | None = None
    sender_created_at: int = 0


class Hidden(msgspec.Struct, frozen=True, kw_only=True):
    """Accounts whose posts a reader's timelines leave out (muted, or blocked either way), and
    those whose notifications it leaves out (blocked, or muted with their notifications)."""

    ids: list[int]
    notification_ids: list[int] = []
    # Those blocked either way (None from a graph before it said): whose statuses the reader
    # may not act on.
    blocked: list[int] | None = None


# --- registration with an invitation -----------------------------------------------------------


class RegisterWithInvitation(RegisterAccount, frozen=True, kw_only=True):
    """``RegisterAccount`` plus Mastodon's ``invite_code``: a superset, so the one endpoint
    ``account.create`` decodes both."""

    invite_code: str | None = None


# --- profiles ----------------------------------------------------------------------------------


class ProfileField(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    value: str


class UpdateProfile(msgspec.Struct, frozen=True, kw_only=True):
    """Change what is given; ``None`` leaves a field as it is. An empty avatar or header URL
    removes the picture; an empty language clears the default."""

    account_id: int
    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    fields: list[ProfileField] | None = None  # replaces the whole list
    avatar_url: str | None = None
    header_url: str | None = None
    title: str | None = None
    department: str | None = None
    # Default visibility of new posts (Mastodon's source[privacy]). A client's value, checked
    # with the profile's other fields so that one 422 names every problem: a str.
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None


class GetCredentials(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int


class CredentialAccount(msgspec.Struct, frozen=True, kw_only=True):
    """The account with the preferences only its owner sees (Mastodon's ``source``)."""

    account: AccountRecord
    privacy: policy.Visibility = "public"
    sensitive: bool = False
    language: str | None = None


class LookupAccount(msgspec.Struct, frozen=True, kw_only=True):
    """``username`` or ``username@domain``, as the reader may see it."""

    reader_id: int
    acct: str


class SearchAccounts(msgspec.Struct, frozen=True, kw_only=True):
    reader_id: int
    q: str
    limit: int = 40
    offset: int = 0
    following: bool = False  # only accounts the reader follows


class IdPage(msgspec.Struct, frozen=True, kw_only=True):
    """Mastodon's paging by id, newest first: ``max_id``/``since_id``/``min_id``."""

    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 40


class AccountListPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of an account's followers or followings, as ``reader_id`` may see them."""

    account_id: int
    reader_id: int
    page: IdPage = IdPage()


class Suggestions(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    limit: int = 40


class Suggestion(msgspec.Struct, frozen=True, kw_only=True):
    account: AccountRecord
    source: str  # why: "friends_of_friends"
    score: int = 0  # how many of the reader's followees follow this account


class SuggestionList(msgspec.Struct, frozen=True, kw_only=True):
    suggestions: list[Suggestion]


# --- followed hashtags -------------------------------------------------------------------------


class TagAction(msgspec.Struct, frozen=True, kw_only=True):
    """``account_id`` None is an anonymous reader (tag.get only)."""

    account_id: int | None
    tag: str


class Tag(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # lower case
    following: bool = False
    id: int | None = None  # the follow's id: what followed_tags pages by


class FollowedTagsPage(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    page: IdPage = IdPage()


class Tags(msgspec.Struct, frozen=True, kw_only=True):
    tags: list[Tag]


# --- networks ----------------------------------------------------------------------------------


class NetworkRequest(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks: their own network


class Network(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    domain: str
    name: str
    invitation_only: bool
    members_count: int
    role: str  # the asker's role in it
    created_at: int  # ms since the Unix epoch
    # OAuth client_ids its admins allow to use the password grant, and the code flow without
    # PKCE (gateway/application/oauth_trust.py); none by default.
    password_grant_apps: list[str] = msgspec.field(default_factory=list)

    def allows_password_grant(self, client_id: str) -> bool:
        """The password grant hands the password to the app: only apps the admins listed.
        Hook for single sign-on (issue #14, not built yet): a network that requires SSO must
        refuse the password grant here, whatever its list says."""
        return client_id in self.password_grant_apps


class UpdateNetwork(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    name: str | None = None
    invitation_only: bool | None = None
    password_grant_apps: list[str] | None = None  # replaces the list when given
    audit: admin_api.AuditContext | None = None


class NetworkMembersPage(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    page: IdPage = IdPage()


class CreateInvitation(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the inviting admin
    email: str
    audit: admin_api.AuditContext | None = None


class Invitation(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    email: str
    invite_code: str  # shown once: only its digest is stored
    network_id: int
    created_at: int


class DeactivateAccount(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the admin or moderator
    target_id: int
    audit: admin_api.AuditContext | None = None


class VisibleAccounts(msgspec.Struct, frozen=True, kw_only=True):
    """Which of these accounts may the reader see at all (same network, or a shared
    community)? Guests see the people of their communities and nobody else of the host."""

    reader_id: int
    ids: list[int]


# --- timelines: what fanout and the home read ask of the graph ---------------------------------

class BigFollowees(msgspec.Struct, frozen=True, kw_only=True):
    """The reader's followees with more followers than ``threshold`` (hybrid fanout: their
    posts are merged into the reader's home page at read time)."""

    account_id: int
    threshold: int


class FolloweeIds(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]
    no_reblogs: list[int] = []  # among ids: followed with reblogs turned off


class HomeSources(msgspec.Struct, frozen=True, kw_only=True):
    """What a home timeline is made of, for a rebuild from Postgres."""

    account_id: int
    threshold: int


class HomeSourcesReply(msgspec.Struct, frozen=True, kw_only=True):
    followees: list[int]
    no_reblogs: list[int] = []  # followees whose reblogs the reader turned off
    above: list[int] = []  # followees with more followers than the threshold
    communities: list[int] = []
    network_id: int = 0
    tags: list[str] = []  # followed hashtags (lower case)


class FollowersAmong(msgspec.Struct, frozen=True, kw_only=True):
    """Which of ``ids`` follow ``account_id`` (e.g. the online ones, for live delivery)."""

    account_id: int
    ids: list[int]


class AccountIdsPage(msgspec.Struct, frozen=True, kw_only=True):
    """Every account id in id order, a page at a time (rebuilds)."""

    after_id: int = 0
    limit: int = 1000


class FollowersPage(msgspec.Struct, frozen=True, kw_only=True):
    """Fanout's page of follower ids in id order. With ``unless_above``, the first page also
    says how many followers there are, and holds no ids when they are more than that (hybrid
    fanout: one request decides and, for most authors, brings the first page along).
    ``packed``: the reply carries the ids packed (``FollowersPageReply``); a graph that predates
    the field ignores it and sends the list, which the reply reads as well (rolling upgrades)."""

    account_id: int
    after_id: int = 0
    limit: int = 10_000
    reblogs_only: bool = False
    unless_above: int | None = None
    packed: bool = False


class FollowersPageReply(msgspec.Struct, frozen=True, kw_only=True):
    """A page of follower ids, in ``ids`` or, when asked, in ``packed``: big-endian signed
    64-bit integers, 8 bytes each (base64 in JSON). A page of 10,000 was ~190 KB of JSON
    numbers, built by graph as Python ints and parsed back by fanout: a quarter of graph's CPU
    in the fanout benchmark. Packed, Postgres makes it as one bytea, graph passes it on, it is
    ~107 KB on the wire and fanout unpacks it in C."""

    ids: list[int] = []
    packed: bytes = b""
    followers_count: int | None = None  # when unless_above was given

    def follower_ids(self) -> list[int]:
        return unpack_ids(self.packed) if self.packed else self.ids


def pack_ids(ids: list[int]) -> bytes:
    """Ids as FollowersPageReply.packed holds them (Postgres: int8send of each, in order)."""
    packed = array("q", ids)
    if sys.byteorder == "little":
        packed.byteswap()
    return packed.tobytes()


def unpack_ids(packed: bytes) -> list[int]:
    ids = array("q")
    ids.frombytes(packed)
    if sys.byteorder == "little":
        ids.byteswap()
    return ids.tolist()


# Every verb graph answers (``hubbub.svc.graph.<name>``), declared once: callers use
# ``bus.call(nc, graph_api.ACCOUNT_GET, ...)``, and graph's host refuses to start unless it
# serves each of them.
VERBS = VerbSet(SERVICE)
_verb = VERBS.declare

# Accounts: registration, sign-in, lookups
ACCOUNT_CREATE = _verb("account.create", RegisterWithInvitation, AccountRecord, kind=WRITE)
ACCOUNT_AUTHENTICATE = _verb("account.authenticate", Authenticate, AccountRecord, kind=READ)
ACCOUNT_GET = _verb("account.get", GetAccounts, Accounts, kind=READ)
ACCOUNT_LOOKUP = _verb("account.lookup", LookupAccounts, Accounts, kind=READ)
ACCOUNT_VISIBLE = _verb("account.visible", VisibleAccounts, Ids, kind=READ)

# Follows and what a viewer's rules are made of
FOLLOW_CREATE = _verb("follow.create", Follow, Relationship, kind=WRITE)
FOLLOW_REMOVE = _verb("follow.remove", Unfollow, Relationship, kind=WRITE)
RELATIONSHIPS = _verb("relationships", GetRelationships, Relationships, kind=READ)
FOLLOWERS_IDS = _verb("followers.ids", FollowerIds, Ids, kind=READ)
VIEWER_FACTS = _verb("viewer.facts", ViewerFacts, ViewerFactsReply, kind=READ)

# Profiles: credentials, search, followers and followings, suggestions
ACCOUNT_CREDENTIALS = _verb("account.credentials", GetCredentials, CredentialAccount, kind=READ)
ACCOUNT_UPDATE = _verb("account.update", UpdateProfile, CredentialAccount, kind=WRITE)
ACCOUNT_LOOKUP_ACCT = _verb("account.lookup_acct", LookupAccount, AccountRecord, kind=READ)
ACCOUNT_SEARCH = _verb("account.search", SearchAccounts, Accounts, kind=READ)
ACCOUNT_FOLLOWERS = _verb("account.followers", AccountListPage, Accounts, kind=READ)
ACCOUNT_FOLLOWING = _verb("account.following", AccountListPage, Accounts, kind=READ)
ACCOUNT_SUGGESTIONS = _verb("account.suggestions", Suggestions, SuggestionList, kind=READ)

# Followed hashtags
TAG_FOLLOWER_IDS = _verb("tag.follower_ids", TagFollowerIds, Ids, kind=READ)
TAG_GET = _verb("tag.get", TagAction, Tag, kind=READ)
TAG_FOLLOW = _verb("tag.follow", TagAction, Tag, kind=WRITE)
TAG_UNFOLLOW = _verb("tag.unfollow", TagAction, Tag, kind=WRITE)
TAG_FOLLOWED = _verb("tag.followed", FollowedTagsPage, Tags, kind=READ)

# The network (an organisation's instance) and its administration
NETWORK_GET = _verb("network.get", NetworkRequest, Network, kind=READ)
NETWORK_UPDATE = _verb("network.update", UpdateNetwork, Network, kind=WRITE)
NETWORK_MEMBERS = _verb("network.members", NetworkMembersPage, Accounts, kind=READ)
NETWORK_INVITE = _verb("network.invite", CreateInvitation, Invitation, kind=WRITE)
NETWORK_DEACTIVATE = _verb("network.deactivate", DeactivateAccount, AccountRecord, kind=WRITE)

# Who gets in: setup, confirmations, claimed domains, the approval queue
INSTANCE_STATE = _verb("instance.state", membership_api.Nothing, membership_api.InstanceState,
                       kind=READ)
INSTANCE_SET_UP = _verb("instance.set_up", membership_api.SetUpInstance,
                        membership_api.NetworkMade, kind=WRITE)
ACCOUNT_CONFIRM = _verb("account.confirm", membership_api.ConfirmEmail, membership_api.Confirmed,
                        kind=WRITE)
ACCOUNT_CONFIRMATION_RESEND = _verb("account.confirmation.resend",
                                    membership_api.ResendConfirmation, membership_api.Nothing,
                                    kind=WRITE)
NETWORK_DOMAINS = _verb("network.domains", NetworkRequest, membership_api.Domains, kind=READ)
NETWORK_DOMAIN_CLAIM = _verb("network.domain.claim", membership_api.DomainChange,
                             membership_api.Domains, kind=WRITE)
NETWORK_DOMAIN_RELEASE = _verb("network.domain.release", membership_api.DomainChange,
                               membership_api.Domains, kind=WRITE)
NETWORK_REQUESTS = _verb("network.requests", NetworkMembersPage, Accounts, kind=READ)
NETWORK_REQUEST_APPROVE = _verb("network.request.approve", membership_api.ApprovalDecision,
                                AccountRecord, kind=WRITE)
NETWORK_REQUEST_REJECT = _verb("network.request.reject", membership_api.ApprovalDecision,
                               AccountRecord, kind=WRITE)

# What fanout, home reads and rebuilds ask
FOLLOWERS_PAGE = _verb("followers.page", FollowersPage, FollowersPageReply, kind=READ)
FOLLOWEES_BIG = _verb("followees.big", BigFollowees, FolloweeIds, kind=READ)
TIMELINE_HOME_SOURCES = _verb("timeline.home_sources", HomeSources, HomeSourcesReply, kind=READ)
FOLLOWERS_AMONG = _verb("followers.among", FollowersAmong, Ids, kind=READ)
ACCOUNT_IDS = _verb("account.ids", AccountIdsPage, Ids, kind=READ)

# Follow requests, blocks, mutes, and who may notify whom
FOLLOW_REQUEST_AUTHORIZE = _verb("follow_request.authorize", AccountPair, Relationship, kind=WRITE)
FOLLOW_REQUEST_REJECT = _verb("follow_request.reject", AccountPair, Relationship, kind=WRITE)
FOLLOW_REQUESTS_LIST = _verb("follow_requests.list", RelationPage, RelationItems, kind=READ)
FOLLOWER_REMOVE = _verb("follower.remove", AccountPair, Relationship, kind=WRITE)
BLOCK_ADD = _verb("block.add", AccountPair, Relationship, kind=WRITE)
BLOCK_REMOVE = _verb("block.remove", AccountPair, Relationship, kind=WRITE)
BLOCKS_LIST = _verb("blocks.list", RelationPage, RelationItems, kind=READ)
MUTE_ADD = _verb("mute.add", Mute, Relationship, kind=WRITE)
MUTE_REMOVE = _verb("mute.remove", AccountPair, Relationship, kind=WRITE)
MUTES_LIST = _verb("mutes.list", RelationPage, RelationItems, kind=READ)
NOTIFICATION_ALLOWED = _verb("notification.allowed", NotificationAllowed, Allowed, kind=READ)
VIEWER_HIDDEN = _verb("viewer.hidden", ViewerFacts, Hidden, kind=READ)

# Communities (Structs in shared/contracts/communities.py)
COMMUNITY_MEMBER_IDS = _verb("community.member_ids", CommunityMemberIds, Ids, kind=READ)
COMMUNITY_SET_NOTIFY = _verb("community.set_notify", communities_api.NotifySetting, Ids, kind=WRITE)
COMMUNITY_NOTIFIED_MEMBERS = _verb("community.notified_members",
                                   communities_api.NotifiedMembers, Ids, kind=READ)
COMMUNITY_CREATE = _verb("community.create", communities_api.CreateCommunity,
                         communities_api.CommunityRecord, kind=WRITE)
COMMUNITY_GET = _verb("community.get", communities_api.CommunityRef,
                      communities_api.CommunityRecord, kind=READ)
COMMUNITY_LIST = _verb("community.list", communities_api.ListCommunities,
                       communities_api.Communities, kind=READ)
COMMUNITY_JOIN = _verb("community.join", communities_api.CommunityRef,
                       communities_api.CommunityRecord, kind=WRITE)
COMMUNITY_LEAVE = _verb("community.leave", communities_api.CommunityRef,
                        communities_api.CommunityRecord, kind=WRITE)
COMMUNITY_MEMBERS = _verb("community.members", communities_api.MembersPage,
                          communities_api.Members, kind=READ)
COMMUNITY_REQUESTS = _verb("community.requests", communities_api.RequestsPage,
                           communities_api.JoinRequests, kind=READ)
COMMUNITY_APPROVE = _verb("community.approve", communities_api.CommunityTarget,
                          communities_api.Membership, kind=WRITE)
COMMUNITY_REJECT = _verb("community.reject", communities_api.CommunityTarget,
                         communities_api.Done, kind=WRITE)
COMMUNITY_INVITE = _verb("community.invite", communities_api.CommunityTarget,
                         communities_api.Done, kind=WRITE)
COMMUNITY_REMOVE_MEMBER = _verb("community.remove_member", communities_api.CommunityTarget,
                                communities_api.Done, kind=WRITE)
COMMUNITY_SET_ROLE = _verb("community.set_role", communities_api.ChangeRole,
                           communities_api.Membership, kind=WRITE)
COMMUNITY_CAN_POST = _verb("community.can_post", CanPost, communities_api.Membership, kind=READ)
COMMUNITY_BOT = _verb("community.bot", communities_api.CommunityBotRequest,
                      communities_api.CommunityBot, kind=WRITE)

# Account extras (Structs in shared/contracts/account_extras.py): private notes, endorsements,
# featured hashtags, familiar followers, the directory, weekly registrations
ACCOUNT_NOTE_SET = _verb("account.note.set", extras_api.SetNote, Relationship, kind=IDEMPOTENT)
ENDORSEMENT_ADD = _verb("endorsement.add", AccountPair, Relationship, kind=WRITE)
ENDORSEMENT_REMOVE = _verb("endorsement.remove", AccountPair, Relationship, kind=WRITE)
ENDORSEMENTS_LIST = _verb("endorsements.list", RelationPage, RelationItems, kind=READ)
FEATURED_TAGS_LIST = _verb("featured_tags.list", extras_api.FeaturedTagsOf,
                           extras_api.FeaturedTags, kind=READ)
FEATURED_TAG_ADD = _verb("featured_tag.add", extras_api.FeatureTag,
                         extras_api.FeaturedTagRecord, kind=WRITE)
FEATURED_TAG_REMOVE = _verb("featured_tag.remove", extras_api.UnfeatureTag,
                            extras_api.FeaturedTagRecord, kind=WRITE)
ACCOUNT_FAMILIAR_FOLLOWERS = _verb("account.familiar_followers",
                                   extras_api.FamiliarFollowersOf, extras_api.FamiliarFollowers,
                                   kind=READ)
ACCOUNT_DIRECTORY = _verb("account.directory", extras_api.DirectoryPage, Accounts, kind=READ)
NETWORK_REGISTRATIONS = _verb("network.registrations", extras_api.WeeklyActivity,
                              posts_api.WeekCounts, kind=READ)

# Public feeds (Structs in shared/contracts/feeds.py): who opted in
FEED_ACCOUNT_GET = _verb("feed.account.get", feeds_api.AccountFeedRef, feeds_api.AccountFeed,
                         kind=READ)
FEED_ACCOUNT_SET = _verb("feed.account.set", feeds_api.SetAccountFeed, feeds_api.AccountFeed,
                         kind=WRITE)
FEED_COMMUNITY_GET = _verb("feed.community.get", feeds_api.CommunityFeedRef,
                           feeds_api.CommunityFeed, kind=READ)
FEED_COMMUNITY_SET = _verb("feed.community.set", feeds_api.SetCommunityFeed,
                           feeds_api.CommunityFeed, kind=WRITE)
FEED_SCOPES = _verb("feed.scopes", feeds_api.FeedScopesQuery, feeds_api.FeedScopes, kind=READ)
FEED_WORLD = _verb("feed.world", feeds_api.WorldQuery, feeds_api.WorldScopes, kind=READ)

# Lists (Structs in shared/contracts/lists.py)
LIST_SAVE = _verb("list.save", lists_api.SaveList, lists_api.ListRecord, kind=WRITE)
LIST_GET = _verb("list.get", lists_api.ListRef, lists_api.ListRecord, kind=READ)
LIST_DELETE = _verb("list.delete", lists_api.ListRef, lists_api.ListRecord, kind=WRITE)
LISTS_OWNED = _verb("lists.owned", lists_api.OwnerLists, lists_api.Lists, kind=READ)
LIST_MEMBERS = _verb("list.members", lists_api.ListRef, lists_api.ListMembers, kind=READ)
LIST_ADD_MEMBERS = _verb("list.add_members", lists_api.ListMembers, lists_api.ListMembers,
                         kind=WRITE)
LIST_REMOVE_MEMBERS = _verb("list.remove_members", lists_api.ListMembers,
                            lists_api.ListMembers, kind=WRITE)
LISTS_CONTAINING = _verb("lists.containing", lists_api.ListsContaining, lists_api.ListTargets,
                         kind=READ)

# Content filters (Structs in shared/contracts/filters.py): v2, their rules, v1's view of
# them, and a reader's whole set as the gateway applies it (filling its cache)
FILTERS_LIST = _verb("filters.list", filters_api.OwnerFilters, filters_api.Filters, kind=READ)
FILTER_GET = _verb("filter.get", filters_api.FilterRef, filters_api.FilterRecord, kind=READ)
FILTER_SAVE = _verb("filter.save", filters_api.SaveFilter, filters_api.FilterRecord, kind=WRITE)
FILTER_DELETE = _verb("filter.delete", filters_api.FilterRef, filters_api.FilterRecord, kind=WRITE)
FILTER_KEYWORD_ADD = _verb("filter.keyword.add", filters_api.SaveKeyword,
                           filters_api.KeywordFound, kind=WRITE)
FILTER_KEYWORD_GET = _verb("filter.keyword.get", filters_api.FilterRef,
                           filters_api.KeywordFound, kind=READ)
FILTER_KEYWORD_UPDATE = _verb("filter.keyword.update", filters_api.SaveKeyword,
                              filters_api.KeywordFound, kind=WRITE)
FILTER_KEYWORD_DELETE = _verb("filter.keyword.delete", filters_api.FilterRef,
                              filters_api.KeywordFound, kind=WRITE)
FILTER_STATUS_ADD = _verb("filter.status.add", filters_api.AddFilterStatus,
                          filters_api.FilterStatus, kind=WRITE)
FILTER_STATUS_GET = _verb("filter.status.get", filters_api.FilterRef, filters_api.FilterStatus,
                          kind=READ)
FILTER_STATUS_DELETE = _verb("filter.status.delete", filters_api.FilterRef,
                             filters_api.FilterStatus, kind=WRITE)
FILTER_V1_SAVE = _verb("filter.v1.save", filters_api.SaveV1Filter, filters_api.KeywordFound,
                       kind=WRITE)
FILTER_V1_DELETE = _verb("filter.v1.delete", filters_api.FilterRef, filters_api.KeywordFound,
                         kind=WRITE)
VIEWER_FILTERS = _verb("viewer.filters", ViewerFacts, filters_api.ReaderFilters, kind=READ)

# Network roles and the audit log (Structs in shared/contracts/network_admin.py)
NETWORK_SET_ROLE = _verb("network.set_role", admin_api.SetNetworkRole, AccountRecord, kind=WRITE)
NETWORK_AUDIT = _verb("network.audit", admin_api.AuditPage, admin_api.AuditEntries, kind=READ)
# Reports and moderation (#17; Structs in shared/contracts/moderation.py)
REPORT_CREATE = _verb("report.create", mod_api.CreateReport, mod_api.ReportRecord, kind=WRITE)
ADMIN_ACCOUNTS = _verb("admin.accounts", mod_api.AdminAccountQuery, mod_api.AdminAccounts,
                       kind=READ)
ADMIN_ACCOUNT_GET = _verb("admin.account.get", mod_api.AdminAccountRef, mod_api.AdminAccount,
                          kind=READ)
ADMIN_ACCOUNT_ACTION = _verb("admin.account.action", mod_api.AccountAction,
                             mod_api.AdminAccount, kind=WRITE)
ADMIN_REPORTS = _verb("admin.reports", mod_api.AdminReportQuery, mod_api.AdminReports, kind=READ)
ADMIN_REPORT_GET = _verb("admin.report.get", mod_api.AdminReportRef, mod_api.AdminReports,
                         kind=READ)
ADMIN_REPORT_CHANGE = _verb("admin.report.change", mod_api.ReportChange, mod_api.AdminReports,
                            kind=WRITE)
ADMIN_BLOCKS = _verb("admin.blocks", mod_api.BlocksQuery, mod_api.SignUpBlocks, kind=READ)
ADMIN_BLOCK_GET = _verb("admin.block.get", mod_api.BlockRef, mod_api.SignUpBlock, kind=READ)
ADMIN_BLOCK_SAVE = _verb("admin.block.save", mod_api.SaveBlock, mod_api.SignUpBlock, kind=WRITE)
ADMIN_BLOCK_DELETE = _verb("admin.block.delete", mod_api.BlockRef, mod_api.SignUpBlock, kind=WRITE)
ADMIN_BLOCK_TEST = _verb("admin.block.test", mod_api.CheckEmail, mod_api.SignUpBlocks, kind=READ)
ADMIN_STATS = _verb("admin.stats", mod_api.StatsQuery, mod_api.NetworkStats, kind=READ)
# Single sign-on with OpenID Connect (Structs in shared/contracts/sso.py)
SSO_GET = _verb("sso.get", sso_api.SsoSettingsRequest, sso_api.SsoSettings, kind=READ)
SSO_CONFIGURE = _verb("sso.configure", sso_api.ConfigureSso, sso_api.SsoSettings, kind=WRITE)
SSO_REMOVE = _verb("sso.remove", sso_api.SsoSettingsRequest, sso_api.SsoSettings, kind=WRITE)
SSO_PROVIDER = _verb("sso.provider", sso_api.FindProvider, sso_api.Provider, kind=READ)
SSO_SIGN_IN = _verb("sso.sign_in", sso_api.SsoSignIn, AccountRecord, kind=WRITE)
# SCIM provisioning (#14; Structs in shared/contracts/scim.py). The token verbs take the asking
# admin's account (the role is checked in graph); the others take the network a SCIM token
# speaks for (the gateway asks SCIM_TOKEN_CHECK first).
SCIM_TOKEN_CREATE = _verb("scim.token.create", scim_api.CreateScimToken, scim_api.ScimToken,
                          kind=WRITE)
SCIM_TOKEN_LIST = _verb("scim.token.list", scim_api.ScimTokensOf, scim_api.ScimTokens, kind=READ)
SCIM_TOKEN_REVOKE = _verb("scim.token.revoke", scim_api.RevokeScimToken, scim_api.Done, kind=WRITE)
SCIM_TOKEN_CHECK = _verb("scim.token.check", scim_api.CheckScimToken, scim_api.ScimClient,
                         kind=READ)
SCIM_USER_CREATE = _verb("scim.user.create", scim_api.CreateScimUser, scim_api.ScimUser, kind=WRITE)
SCIM_USER_GET = _verb("scim.user.get", scim_api.ScimRef, scim_api.ScimUser, kind=READ)
SCIM_USER_LIST = _verb("scim.user.list", scim_api.ScimQuery, scim_api.ScimUsers, kind=READ)
SCIM_USER_REPLACE = _verb("scim.user.replace", scim_api.ReplaceScimUser, scim_api.ScimUser,
                          kind=WRITE)
SCIM_USER_DELETE = _verb("scim.user.delete", scim_api.ScimRef, scim_api.Done, kind=WRITE)
SCIM_GROUP_CREATE = _verb("scim.group.create", scim_api.CreateScimGroup, scim_api.ScimGroup,
                          kind=WRITE)
SCIM_GROUP_GET = _verb("scim.group.get", scim_api.ScimRef, scim_api.ScimGroup, kind=READ)
SCIM_GROUP_LIST = _verb("scim.group.list", scim_api.ScimQuery, scim_api.ScimGroups, kind=READ)
SCIM_GROUP_REPLACE = _verb("scim.group.replace", scim_api.ReplaceScimGroup, scim_api.ScimGroup,
                           kind=WRITE)
SCIM_GROUP_DELETE = _verb("scim.group.delete", scim_api.ScimRef, scim_api.Done, kind=WRITE)
