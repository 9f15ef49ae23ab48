"""What each NATS user may publish and subscribe to: the inside is sealed.

A service may publish only the events its own outbox writes, the requests of the verbs it
calls (listed here, held to the code by tests/security/test_nats_permissions.py), its replies,
and the live subjects it feeds; it may subscribe only to its own verbs, its own inboxes and its
own consumers' deliveries. Only a gateway reads ``hubbub.live.>`` (direct messages travel
there). Everything else is refused by the server, so a process holding one service's password
cannot delete another's status nor read anyone's stream.

The embedded server runs with exactly these rules (``shared/infra.py``), so every test that
passes proves they are enough; ``hubbub secrets nats-config`` prints them for servers of one's
own.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared import events, subjects
from shared.contracts import fanout as fanout_api
from shared.contracts import graph as graph_api
from shared.contracts import notify as notify_api
from shared.contracts import posts as posts_api
from shared.contracts.verb import Verb, VerbSet
from shared.nats_users import OPERATOR, inbox_prefix
from shared.settings import SERVICES

SERVED: dict[str, VerbSet] = {
    "posts": posts_api.VERBS, "graph": graph_api.VERBS, "fanout": fanout_api.VERBS,
    "notify": notify_api.VERBS,
}

# The verbs each service asks others for. A verb missing here is refused by the server, so the
# test that reads every service's code for the verbs it names keeps this list complete (and
# no longer than it must be).
CALLS: dict[str, tuple[Verb[Any, Any], ...]] = {
    "gateway": (
        fanout_api.HOME_REBUILD,
        graph_api.ACCOUNT_AUTHENTICATE, graph_api.ACCOUNT_CREATE, graph_api.ACCOUNT_CREDENTIALS,
        graph_api.ACCOUNT_FOLLOWERS, graph_api.ACCOUNT_FOLLOWING, graph_api.ACCOUNT_GET,
        graph_api.ACCOUNT_LOOKUP, graph_api.ACCOUNT_LOOKUP_ACCT, graph_api.ACCOUNT_SEARCH,
        graph_api.ACCOUNT_SUGGESTIONS,
        graph_api.ACCOUNT_UPDATE, graph_api.ACCOUNT_VISIBLE, graph_api.BLOCKS_LIST,
        graph_api.BLOCK_ADD, graph_api.BLOCK_REMOVE, graph_api.COMMUNITY_APPROVE,
        graph_api.COMMUNITY_CREATE, graph_api.COMMUNITY_GET, graph_api.COMMUNITY_INVITE,
        graph_api.COMMUNITY_JOIN, graph_api.COMMUNITY_LEAVE, graph_api.COMMUNITY_LIST,
        graph_api.COMMUNITY_MEMBERS, graph_api.COMMUNITY_REJECT,
        graph_api.COMMUNITY_REMOVE_MEMBER, graph_api.COMMUNITY_REQUESTS,
        graph_api.COMMUNITY_SET_NOTIFY, graph_api.COMMUNITY_SET_ROLE, graph_api.FOLLOWEES_BIG,
        graph_api.FOLLOWER_REMOVE, graph_api.FOLLOW_CREATE, graph_api.FOLLOW_REMOVE,
        graph_api.FOLLOW_REQUESTS_LIST, graph_api.FOLLOW_REQUEST_AUTHORIZE,
        graph_api.FOLLOW_REQUEST_REJECT, graph_api.LISTS_OWNED, graph_api.LIST_ADD_MEMBERS,
        graph_api.LIST_DELETE, graph_api.LIST_GET, graph_api.LIST_MEMBERS,
        graph_api.LIST_REMOVE_MEMBERS, graph_api.LIST_SAVE, graph_api.MUTES_LIST,
        graph_api.MUTE_ADD, graph_api.MUTE_REMOVE, graph_api.NETWORK_DEACTIVATE,
        graph_api.NETWORK_GET, graph_api.NETWORK_INVITE, graph_api.NETWORK_MEMBERS,
        graph_api.NETWORK_UPDATE, graph_api.NETWORK_SET_ROLE, graph_api.NETWORK_AUDIT,
        graph_api.REPORT_CREATE, graph_api.ADMIN_ACCOUNTS, graph_api.ADMIN_ACCOUNT_GET,
        graph_api.ADMIN_ACCOUNT_ACTION, graph_api.ADMIN_REPORTS, graph_api.ADMIN_REPORT_GET,
        graph_api.ADMIN_REPORT_CHANGE, graph_api.ADMIN_BLOCKS, graph_api.ADMIN_BLOCK_GET,
        graph_api.ADMIN_BLOCK_SAVE, graph_api.ADMIN_BLOCK_DELETE, graph_api.ADMIN_BLOCK_TEST,
        graph_api.ADMIN_STATS,
        graph_api.RELATIONSHIPS, graph_api.TAG_FOLLOW,
        graph_api.TAG_FOLLOWED, graph_api.TAG_GET, graph_api.TAG_UNFOLLOW,
        graph_api.VIEWER_FACTS, graph_api.VIEWER_HIDDEN,
        # content filters
        graph_api.FILTERS_LIST, graph_api.FILTER_GET, graph_api.FILTER_SAVE,
        graph_api.FILTER_DELETE, graph_api.FILTER_KEYWORD_ADD, graph_api.FILTER_KEYWORD_GET,
        graph_api.FILTER_KEYWORD_UPDATE, graph_api.FILTER_KEYWORD_DELETE,
        graph_api.FILTER_STATUS_ADD, graph_api.FILTER_STATUS_GET, graph_api.FILTER_STATUS_DELETE,
        graph_api.FILTER_V1_SAVE, graph_api.FILTER_V1_DELETE, graph_api.VIEWER_FILTERS,
        # single sign-on
        graph_api.SSO_GET, graph_api.SSO_CONFIGURE, graph_api.SSO_REMOVE, graph_api.SSO_PROVIDER,
        graph_api.SSO_SIGN_IN,
        # account extras: notes, endorsements, featured tags, familiar followers, directory
        graph_api.ACCOUNT_NOTE_SET, graph_api.ENDORSEMENT_ADD, graph_api.ENDORSEMENT_REMOVE,
        graph_api.ENDORSEMENTS_LIST, graph_api.FEATURED_TAGS_LIST, graph_api.FEATURED_TAG_ADD,
        graph_api.FEATURED_TAG_REMOVE, graph_api.ACCOUNT_FAMILIAR_FOLLOWERS,
        graph_api.ACCOUNT_DIRECTORY, graph_api.NETWORK_REGISTRATIONS,
        # public feeds: opt-ins, and the statuses they show
        graph_api.FEED_ACCOUNT_GET, graph_api.FEED_ACCOUNT_SET, graph_api.FEED_COMMUNITY_GET,
        graph_api.FEED_COMMUNITY_SET, graph_api.FEED_SCOPES, graph_api.FEED_WORLD,
        posts_api.STATUS_WORLD_FEED,
        # who gets in: setup, confirmations, claimed domains, approvals
        graph_api.INSTANCE_STATE, graph_api.INSTANCE_SET_UP, graph_api.ACCOUNT_CONFIRM,
        graph_api.ACCOUNT_CONFIRMATION_RESEND, graph_api.NETWORK_DOMAINS,
        graph_api.NETWORK_DOMAIN_CLAIM, graph_api.NETWORK_DOMAIN_RELEASE,
        graph_api.NETWORK_REQUESTS, graph_api.NETWORK_REQUEST_APPROVE,
        graph_api.NETWORK_REQUEST_REJECT,
        graph_api.SCIM_TOKEN_CREATE, graph_api.SCIM_TOKEN_LIST, graph_api.SCIM_TOKEN_REVOKE,
        graph_api.SCIM_TOKEN_CHECK, graph_api.SCIM_USER_CREATE, graph_api.SCIM_USER_GET,
        graph_api.SCIM_USER_LIST, graph_api.SCIM_USER_REPLACE, graph_api.SCIM_USER_DELETE,
        graph_api.SCIM_GROUP_CREATE, graph_api.SCIM_GROUP_GET, graph_api.SCIM_GROUP_LIST,
        graph_api.SCIM_GROUP_REPLACE, graph_api.SCIM_GROUP_DELETE,
        notify_api.CONVERSATION_GET, notify_api.CONVERSATION_LIST, notify_api.CONVERSATION_READ,
        notify_api.CONVERSATION_REMOVE,
        notify_api.MARKERS_GET, notify_api.MARKERS_SET, notify_api.NOTIFICATION_DISMISS,
        notify_api.NOTIFICATION_GET, notify_api.NOTIFICATION_GROUP,
        notify_api.NOTIFICATION_GROUPS, notify_api.NOTIFICATION_LIST,
        notify_api.NOTIFICATION_UNREAD_COUNT, notify_api.POLICY_GET, notify_api.POLICY_SET,
        notify_api.REQUEST_ACCEPT, notify_api.REQUEST_DISMISS, notify_api.REQUEST_GET,
        notify_api.REQUEST_LIST,
        notify_api.THREAD_MUTE, notify_api.THREAD_UNMUTE, notify_api.THREAD_MUTED,
        notify_api.PUSH_SUBSCRIBE, notify_api.PUSH_GET, notify_api.PUSH_UPDATE,
        notify_api.PUSH_UNSUBSCRIBE, notify_api.PUSH_FORGET_TOKEN,
        notify_api.WEBHOOK_CREATE, notify_api.WEBHOOK_LIST, notify_api.WEBHOOK_GET,
        notify_api.WEBHOOK_UPDATE, notify_api.WEBHOOK_DELETE, notify_api.WEBHOOK_ROTATE,
        notify_api.WEBHOOK_PING, notify_api.WEBHOOK_DELIVERIES, notify_api.WEBHOOK_REPLAY,
        posts_api.BOOKMARKS_LIST, posts_api.BOOKMARK_ADD, posts_api.BOOKMARK_REMOVE,
        posts_api.FAVOURITES_LIST, posts_api.FAVOURITE_ADD, posts_api.FAVOURITE_REMOVE,
        posts_api.MEDIA_CREATE, posts_api.MEDIA_DELETE, posts_api.MEDIA_GET,
        posts_api.MEDIA_UPDATE, posts_api.PIN_ADD, posts_api.PIN_REMOVE, posts_api.POLL_GET,
        posts_api.POLL_VOTE, posts_api.ADMIN_ACTIVITY,
        posts_api.REBLOG_ADD, posts_api.REBLOG_REMOVE, posts_api.STATUS_BY_AUTHOR,
        posts_api.STATUS_CREATE, posts_api.STATUS_DELETE, posts_api.STATUS_EDIT,
        posts_api.STATUS_FAVOURITED_BY, posts_api.STATUS_GET, posts_api.STATUS_HISTORY,
        posts_api.STATUS_REBLOGGED_BY, posts_api.STATUS_THREAD, posts_api.STATUS_VIEWER_FLAGS,
        posts_api.TAG_TRENDS, posts_api.TAG_USAGE, posts_api.STATUS_WEEKLY,
        posts_api.TAG_TRENDS, posts_api.STATUS_TRENDS, posts_api.LINK_TRENDS,
        posts_api.LINK_TIMELINE,
        # scheduled statuses
        posts_api.SCHEDULED_STATUS_CREATE, posts_api.SCHEDULED_STATUS_LIST,
        posts_api.SCHEDULED_STATUS_GET, posts_api.SCHEDULED_STATUS_UPDATE,
        posts_api.SCHEDULED_STATUS_CANCEL,
        # a community's inbound feeds and incoming webhooks
        posts_api.FEED_ADD, posts_api.FEED_LIST, posts_api.FEED_REMOVE, posts_api.HOOK_CREATE,
        posts_api.HOOK_LIST, posts_api.HOOK_DELETE, posts_api.HOOK_POST,
    ),
    "posts": (
        graph_api.ACCOUNT_GET,  # a scheduled status's author, still active when it is due
        graph_api.ACCOUNT_LOOKUP, graph_api.ACCOUNT_VISIBLE, graph_api.COMMUNITY_CAN_POST,
        graph_api.VIEWER_FACTS,
        graph_api.VIEWER_HIDDEN,  # blocks, for an action on a public status (posts/audience)
        graph_api.COMMUNITY_BOT,  # who manages a community's feeds and hooks; its bot
        graph_api.ACCOUNT_UPDATE,  # the media worker sets processed avatars and headers
    ),
    "graph": (),
    "fanout": (
        graph_api.ACCOUNT_IDS, graph_api.COMMUNITY_MEMBER_IDS, graph_api.FOLLOWERS_AMONG,
        graph_api.FOLLOWERS_PAGE, graph_api.LISTS_CONTAINING, graph_api.TAG_FOLLOWER_IDS,
        graph_api.TIMELINE_HOME_SOURCES, posts_api.STATUS_AUTHOR_TIMELINE,
        posts_api.STATUS_DIRECT_PAGE, posts_api.STATUS_HOME_REBUILD,
        posts_api.STATUS_RECENT_BY_AUTHOR, posts_api.STATUS_RECENT_IN_COMMUNITY,
    ),
    "notify": (
        graph_api.COMMUNITY_NOTIFIED_MEMBERS, graph_api.FOLLOWERS_IDS,
        graph_api.NOTIFICATION_ALLOWED, posts_api.STATUS_REBLOGGED_BY,
        graph_api.VIEWER_HIDDEN,  # whom a recipient refuses, when graph's cache lost it
        graph_api.ACCOUNT_GET,  # a push message's title
        posts_api.STATUS_GET,  # a status's thread (recipients who muted it), a push's body
    ),
}

# An event's domain (the first part of its type) names the service whose outbox writes it.
EVENT_OWNERS = {"post": "posts", "graph": "graph", "notify": "notify"}

# The JetStream consumers each service runs (its durables' names).
DURABLES: dict[str, tuple[str, ...]] = {
    "fanout": ("fanout-home",), "graph": ("graph-counters",),
    "notify": ("notify", "notify-mail", "notify-conversations", "notify-push",
               "notify-webhooks"),
    "posts": ("posts-media", "posts-cards"),
}

# Live delivery: who feeds which subjects. Reading them is the gateways' alone.
LIVE_PUBLISH: dict[str, tuple[str, ...]] = {
    "fanout": ("hubbub.live.users", "hubbub.live.community.*", "hubbub.live.network.*",
               "hubbub.live.tag.>", "hubbub.live.list.*"),
    "notify": ("hubbub.live.user.*",),
}
LIVE_READ = "hubbub.live.>"

# Graph's events a gateway watches on plain NATS, to refresh open streams' facts at once
# (services/gateway/streaming/fact_changes.py; a test holds the two together).
GATEWAY_WATCHES: tuple[type[events.Event], ...] = (
    events.FollowCreated, events.FollowRemoved, events.BlockCreated, events.BlockRemoved,
    events.MuteCreated, events.MuteRemoved, events.CommunityJoined, events.CommunityLeft,
    events.FiltersChanged,
)

# Graph's membership events a gateway hears on plain NATS, to drop an account's cached tokens
# and end its streams at once (services/gateway/offboarding.py; a test holds the two together).
GATEWAY_MEMBERSHIP_WATCHES: tuple[type[events.Event], ...] = (
    events.AccountDeactivated, events.AccountJoined, events.AccountRoleChanged,
    events.AccountReactivated,
)

JS_API = "$JS.API"
JS_ACK = "$JS.ACK"


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    # May answer the requests it receives (one reply each, to the asker's inbox), without any
    # right to publish on other inboxes.
    responds: bool = False


def event_types() -> tuple[type[events.Event], ...]:
    return typing.get_args(events.AnyEvent)


def event_tag(event_type: type[events.Event]) -> str:
    return str(event_type.__struct_config__.tag)


def events_published_by(service: str) -> list[str]:
    """The types of the events ``service``'s outbox writes."""
    return [event_tag(kind) for kind in event_types()
            if EVENT_OWNERS.get(event_tag(kind).split(".", 1)[0]) == service]


def _jetstream(service: str) -> tuple[list[str], list[str]]:
    """The JetStream API a service needs: the event stream kept up to date, its own consumers
    created, read and pulled from, their deliveries acknowledged; nothing of anyone else's."""
    stream = subjects.EVENTS_STREAM
    publish = [f"{JS_API}.STREAM.{action}.{stream}" for action in ("CREATE", "UPDATE", "INFO")]
    for durable in DURABLES.get(service, ()):
        publish += [
            f"{JS_API}.CONSUMER.CREATE.{stream}.{durable}",
            f"{JS_API}.CONSUMER.CREATE.{stream}.{durable}.>",  # with its filter subject
            f"{JS_API}.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
            f"{JS_API}.CONSUMER.INFO.{stream}.{durable}",
            f"{JS_API}.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"{JS_ACK}.{stream}.{durable}.>",
        ]
    if service == "fanout":  # reports every consumer's lag (services/fanout/lag.py)
        publish.append(f"{JS_API}.CONSUMER.LIST.{stream}")
    return publish, []


def for_service(service: str) -> Permissions:
    if service not in SERVICES:
        raise ValueError(f"no such service: {service}")
    publish = [verb.subject for verb in CALLS[service]]
    subscribe = [f"{inbox_prefix(service)}.>"]
    if service == "gateway":
        publish.append(subjects.TOKEN_REVOKED)
        subscribe += [subjects.TOKEN_REVOKED, LIVE_READ]
        subscribe += [subjects.event(event_tag(kind))
                      for kind in (*GATEWAY_WATCHES, *GATEWAY_MEMBERSHIP_WATCHES)]
        return Permissions(tuple(publish), tuple(subscribe))
    publish += [subjects.event(tag) for tag in events_published_by(service)]
    # An event type with facets is published under its faceted subjects (shared/events.py).
    publish += [subjects.event(event_tag(kind)) + ".>" for kind in event_types()
                if kind.FACETS and event_tag(kind) in events_published_by(service)]
    publish += LIVE_PUBLISH.get(service, ())
    js_publish, js_subscribe = _jetstream(service)
    publish += js_publish
    subscribe += js_subscribe
    served = SERVED[service]
    subscribe += [verb.subject for verb in served]
    # nats.micro's discovery: $SRV.PING, $SRV.PING.<name>, $SRV.PING.<name>.<id> (and INFO,
    # STATS): the service answers for itself only.
    subscribe += ["$SRV.*", f"$SRV.*.{service}", f"$SRV.*.{service}.*"]
    return Permissions(tuple(publish), tuple(subscribe), responds=True)


def for_user(user: str) -> Permissions:
    if user == OPERATOR:
        return Permissions((">",), (">",))
    return for_service(user)


# --- the server's configuration ---------------------------------------------------------------

class EnvRef(str):
    """A password the server reads from its environment (``$NAME`` in its configuration)."""


def password_variable(user: str) -> str:
    return f"HUBBUB_NATS_{user.upper()}_PASSWORD"


def authorization(passwords: Mapping[str, str]) -> str:
    """nats-server's ``authorization`` block for every user; a password given as an ``EnvRef``
    is written as a variable, so the file holds no secret."""
    lines = ["authorization {", "  users: ["]
    for user, password in passwords.items():
        rights = for_user(user)
        permissions: dict[str, Any] = {"publish": {"allow": list(rights.publish)},
                                       "subscribe": {"allow": list(rights.subscribe)}}
        if rights.responds:
            permissions["allow_responses"] = True
        secret = f"${password}" if isinstance(password, EnvRef) else json.dumps(password)
        rules = json.dumps(permissions, indent=2).replace("\n", "\n      ")
        lines += ["    {", f"      user: {json.dumps(user)}", f"      password: {secret}",
                  f"      permissions: {rules}", "    }"]
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def external_authorization() -> str:
    """The block for a server of one's own: passwords from ``HUBBUB_NATS_<USER>_PASSWORD``."""
    users = (*SERVICES, OPERATOR)
    return ("# Hubbub's NATS users (printed by `hubbub secrets nats-config`; see deploy/README.md)."
            "\n# Each password comes from the server's environment.\n"
            + authorization({user: EnvRef(password_variable(user)) for user in users}))
