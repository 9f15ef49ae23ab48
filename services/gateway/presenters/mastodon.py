"""Mastodon API shapes (docs.joinmastodon.org/entities) of accounts, statuses, polls,
notifications and relationships; the smaller entities have their modules beside this one. The
only place that knows them: the services hand over domain records, and these functions turn them
into client JSON."""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
import time
from typing import Any

from services.gateway.presenters.cards import card
from services.gateway.presenters.media import MediaUrl, media_attachments
from shared.records import AccountRecord, NotificationRecord, PollRecord, StatusRecord

# The Mastodon version whose API Hubbub serves: clients switch features on it (and on
# ``API_VERSION``), so it must never run ahead of the routes. 4.3 is the newest whose
# version-gated routes Hubbub has: grouped notifications (/api/v2/notifications), the
# notification policy and its requests, unread counts, several statuses or accounts at once,
# the timeline of a trending link (tests/api/instance/test_discovery.py holds the gates to the
# routes).
MASTODON_COMPAT_VERSION = "4.3.0"
# ``api_versions.mastodon`` of /api/v2/instance: 2, grouped notifications.
API_VERSION = 2
# Sign-up is open: an e-mail address joins (or founds) its domain's network, unless that network
# is invitation-only (services/graph/use_cases/register_account.py). Instance and NodeInfo say so.


def registrations_open(mode: str) -> bool:
    """Mastodon's ``registrations``: whether anyone may sign up (``open`` or ``approval``;
    ``closed`` takes invitations and single sign-on only)."""
    return mode != "closed"


REGISTRATION_MESSAGES = {
    "open": "Sign up with your work e-mail address: you join your organisation's network once "
            "you confirm it.",
    "approval": "Sign up with your work e-mail address: once you confirm it, an admin of your "
                "organisation's network approves your request.",
    "closed": "Joining is by invitation or your organisation's single sign-on.",
}
HUBBUB_VERSION = "0.1.0"
VERSION = f"{MASTODON_COMPAT_VERSION} (compatible; Hubbub {HUBBUB_VERSION})"


def iso(ms: int | None) -> str | None:
    """Epoch milliseconds as Mastodon's timestamps: ``2026-12-07T01:02:03.456Z``."""
    return None if ms is None else _iso(ms)


@functools.lru_cache(maxsize=8192)
def _iso(ms: int) -> str:
    # Remembered: the same statuses and accounts are rendered again and again (to every
    # listener of a post, on every home page), and building the string was 2% of the
    # gateway's CPU under the write benchmark; a hit costs a tenth of it.
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds)
    return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{millis:03d}Z")


def day(ms: int | None) -> str | None:
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d")


def note_html(text: str) -> str:
    """A plain-text profile note as Mastodon's HTML: escaped, blank lines part paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "".join("<p>" + html.escape(p.strip()).replace("\n", "<br />") + "</p>"
                   for p in paragraphs)


def field_value_html(value: str) -> str:
    """A profile field's value as HTML: escaped, and a link when the whole value is one."""
    escaped = html.escape(value)
    if _LINK.match(value):
        return (f'<a href="{escaped}" target="_blank" rel="nofollow noopener noreferrer me">'
                f"{escaped}</a>")
    return escaped


_LINK = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def account(a: AccountRecord, base_url: str) -> dict[str, Any]:
    avatar = a.avatar_url or f"{base_url}/avatars/original/missing.png"
    header = a.header_url or f"{base_url}/headers/original/missing.png"
    url = f"{base_url}/@{a.username}"
    return {
        "id": str(a.id),
        "username": a.username,
        "acct": a.username,
        "display_name": a.display_name,
        "locked": a.locked,
        "bot": a.bot,
        "discoverable": a.discoverable,
        "indexable": False,
        "group": False,
        "created_at": iso(a.created_at),
        "note": note_html(a.note),
        "url": url,
        "uri": url,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": a.followers_count,
        "following_count": a.following_count,
        "statuses_count": a.statuses_count,
        "last_status_at": day(a.last_status_at),
        "hide_collections": False,
        "noindex": True,
        "emojis": [],
        "roles": highlighted_roles(a.role),
        "fields": [{"name": f.get("name", ""), "value": field_value_html(f.get("value", "")),
                    "verified_at": None} for f in a.fields],
        # Hubbub: which network (company) the account belongs to, and the person's job.
        "hubbub": {"network_id": str(a.network_id), "network": a.network_domain,
                   "title": a.title, "department": a.department},
    }


def credential_account(a: AccountRecord, base_url: str, *, privacy: str = "public",
                       sensitive: bool = False, language: str | None = None
                       ) -> dict[str, Any]:
    """The account as its owner sees it: with ``source``, the plain text the profile was
    written in and the defaults for new posts."""
    shaped = account(a, base_url)
    shaped["source"] = {
        "privacy": privacy,
        "sensitive": sensitive,
        "language": language,
        "note": a.note,
        "fields": [{"name": f.get("name", ""), "value": f.get("value", ""), "verified_at": None}
                   for f in a.fields],
        "follow_requests_count": 0,
        "hide_collections": False,
        "discoverable": a.discoverable,
        "indexable": False,
    }
    shaped["role"] = role(a.role)
    return shaped


# Mastodon's Role entity for Hubbub's network roles: its default Owner, Admin and Moderator
# roles (ids 3, 2, 1, shown on profiles: highlighted), and its "everyone" role (-99) for
# members and guests. ``permissions`` is Mastodon's bitmask (UserRole::FLAGS), as a string, of
# what the role may do here: an owner is an administrator (every permission); an admin views
# the audit log (1 << 2), manages settings (1 << 6), users (1 << 10), invites (1 << 11),
# invites users (1 << 16), roles (1 << 17) and user access (1 << 18); a moderator manages
# users (deactivation). Members and guests invite nobody here: 0.
_PERMISSIONS = {"owner": 1,
                "admin": (1 << 2) | (1 << 6) | (1 << 10) | (1 << 11) | (1 << 16) | (1 << 17)
                | (1 << 18),
                "moderator": 1 << 10}
_ROLES = {"owner": ("3", "Owner"), "admin": ("2", "Admin"), "moderator": ("1", "Moderator")}


def role(name: str) -> dict[str, Any]:
    """Mastodon's Role entity (``role`` of CredentialAccount and admin views)."""
    role_id, shown = _ROLES.get(name, ("-99", ""))
    return {"id": role_id, "name": shown, "permissions": str(_PERMISSIONS.get(name, 0)),
            "color": "", "highlighted": name in _ROLES}


def highlighted_roles(name: str) -> list[dict[str, Any]]:
    """Mastodon's ``Account.roles``: the public, highlighted roles (id, name, color)."""
    if name not in _ROLES:
        return []
    role_id, shown = _ROLES[name]
    return [{"id": role_id, "name": shown, "color": ""}]


def mention(a: AccountRecord, base_url: str) -> dict[str, Any]:
    return {"id": str(a.id), "username": a.username, "acct": a.username,
            "url": f"{base_url}/@{a.username}"}


def status_url(base_url: str, username: str, status_id: int) -> str:
    return f"{base_url}/@{username}/{status_id}"


def status_fields(s: StatusRecord, author_username: str, base_url: str, media_url: MediaUrl
                  ) -> dict[str, Any]:
    """What every reader sees alike: the status without its author's account, mentions, poll,
    reblog and what depends on the reader (its own flags, ``filtered`` by its content filters):
    the gateway caches these as JSON bytes, see pages.py. Attachments' URLs are signed, with an
    expiry: whoever caches this JSON bounds it (see services/gateway/media_urls.py)."""
    url = status_url(base_url, author_username, s.id)
    return {
        "id": str(s.id),
        "created_at": iso(s.created_at),
        "in_reply_to_id": str(s.in_reply_to_id) if s.in_reply_to_id else None,
        "in_reply_to_account_id": (str(s.in_reply_to_account_id)
                                   if s.in_reply_to_account_id else None),
        "sensitive": s.sensitive,
        "spoiler_text": s.spoiler_text,
        "visibility": s.visibility,
        "language": s.language,
        "uri": url,
        "url": url,
        "replies_count": s.replies_count,
        "reblogs_count": s.reblogs_count,
        "favourites_count": s.favourites_count,
        "edited_at": iso(s.edited_at),
        "muted": False,
        "content": s.content_html,
        "application": None,
        "media_attachments": media_attachments(s.media, media_url) if s.media else [],
        "tags": [{"name": t, "url": f"{base_url}/tags/{t}"} for t in s.tags],
        "emojis": [],
        "card": card(s.card) if s.card is not None else None,
        "hubbub": {"community_id": str(s.community_id) if s.community_id else None},
    }


def status(
    s: StatusRecord,
    author: AccountRecord,
    mentioned: list[AccountRecord],
    base_url: str,
    *,
    media_url: MediaUrl,
    favourited: bool = False,
    reblogged: bool = False,
    bookmarked: bool = False,
    pinned: bool = False,
    reblog: dict[str, Any] | None = None,
    own_votes: list[int] | None = None,
    filtered: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    shaped = status_fields(s, author.username, base_url, media_url)
    shaped.update({
        "favourited": favourited,
        "reblogged": reblogged,
        "bookmarked": bookmarked,
        "pinned": pinned,
        "filtered": filtered or [],
        "reblog": reblog,
        "account": account(author, base_url),
        "mentions": [mention(a, base_url) for a in mentioned],
        "poll": poll(s.poll, own_votes) if s.poll else None,
    })
    return shaped


def poll(p: PollRecord, own_votes: list[int] | None) -> dict[str, Any]:
    now_ms = dt.datetime.now(dt.UTC).timestamp() * 1000
    return {
        "id": str(p.id),
        "expires_at": iso(p.expires_at),
        "expired": p.expires_at is not None and p.expires_at <= now_ms,
        "multiple": p.multiple,
        "votes_count": p.votes_count,
        "voters_count": p.voters_count,
        "options": [{"title": title, "votes_count": votes}
                    for title, votes in zip(p.options, p.votes, strict=False)],
        "emojis": [],
        "voted": own_votes is not None and len(own_votes) > 0,
        "own_votes": own_votes or [],
    }


def notification(n: NotificationRecord, from_account: dict[str, Any],
                 status_json: dict[str, Any] | None) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "id": str(n.id),
        "type": n.type,
        "created_at": iso(n.created_at),
        "group_key": n.group_key or f"ungrouped-{n.id}",
        "account": from_account,
    }
    if n.filtered:
        shaped["filtered"] = True
    if status_json is not None:
        shaped["status"] = status_json
    if n.community_id is not None:
        shaped["hubbub"] = {"community_id": str(n.community_id)}
    return shaped


def relationship(rel: Any) -> dict[str, Any]:
    return {
        "id": str(rel.id),
        "following": rel.following,
        "showing_reblogs": rel.showing_reblogs,
        "notifying": rel.notifying,
        "languages": None,
        "followed_by": rel.followed_by,
        "blocking": rel.blocking,
        "blocked_by": rel.blocked_by,
        "muting": rel.muting,
        "muting_notifications": rel.muting_notifications,
        "requested": rel.requested,
        "requested_by": rel.requested_by,
        "domain_blocking": False,
        "endorsed": rel.endorsed,
        "note": rel.note,  # the asker's own private note: a Relationship is only ever theirs
    }
