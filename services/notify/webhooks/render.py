"""The JSON body of a webhook delivery: ``{"type", "timestamp", "data"}``, ``data`` holding
Mastodon entities where one exists.

notify does not import the gateway (its presenters render for a reader, with signed media
URLs and the reader's flags), so the entities here are a faithful subset of Mastodon's Status
and Account, built from what posts and graph answer over NATS (STATUS_GET, ACCOUNT_GET) as an
anonymous reader would see them: the same ids, URLs, HTML content, counts, mentions and tags;
media attachments carry their id, type and description but no URL (a media URL is signed for
a while by the gateway, and would expire in a partner's store); no reader flags (favourited,
bookmarked...), which mean nothing to a partner system. Hubbub's ``hubbub`` extras ride along
(community, network)."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import msgspec
from nats.aio.client import Client as NATS

from shared import bus
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.records import AccountRecord, StatusRecord


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def body(type_: str, occurred_at_ms: int, data: dict[str, Any]) -> bytes:
    return msgspec.json.encode({"type": type_, "timestamp": iso(occurred_at_ms), "data": data})


def note_html(text: str) -> str:
    """A plain-text profile note as Mastodon's HTML (as the gateway's presenter writes it)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return "".join("<p>" + html.escape(p.strip()).replace("\n", "<br />") + "</p>"
                   for p in text.split("\n\n") if p.strip())


def account(a: AccountRecord, base_url: str) -> dict[str, Any]:
    avatar = a.avatar_url or f"{base_url}/avatars/original/missing.png"
    if avatar.startswith("/"):
        avatar = base_url + avatar
    url = f"{base_url}/@{a.username}"
    return {
        "id": str(a.id), "username": a.username, "acct": a.username,
        "display_name": a.display_name, "locked": a.locked, "bot": a.bot,
        "created_at": iso(a.created_at), "note": note_html(a.note), "url": url, "uri": url,
        "avatar": avatar, "avatar_static": avatar,
        "followers_count": a.followers_count, "following_count": a.following_count,
        "statuses_count": a.statuses_count,
        "hubbub": {"network_id": str(a.network_id), "network": a.network_domain,
                   "title": a.title, "department": a.department},
    }


def status(s: StatusRecord, author: AccountRecord, mentioned: list[AccountRecord],
           base_url: str) -> dict[str, Any]:
    url = f"{base_url}/@{author.username}/{s.id}"
    return {
        "id": str(s.id), "created_at": iso(s.created_at),
        "in_reply_to_id": str(s.in_reply_to_id) if s.in_reply_to_id else None,
        "in_reply_to_account_id": (str(s.in_reply_to_account_id)
                                   if s.in_reply_to_account_id else None),
        "sensitive": s.sensitive, "spoiler_text": s.spoiler_text, "visibility": s.visibility,
        "language": s.language, "uri": url, "url": url,
        "replies_count": s.replies_count, "reblogs_count": s.reblogs_count,
        "favourites_count": s.favourites_count, "edited_at": iso(s.edited_at),
        "content": s.content_html,
        "media_attachments": [{"id": str(m.id), "type": m.type, "description": m.description}
                              for m in s.media],
        "tags": [{"name": t, "url": f"{base_url}/tags/{t}"} for t in s.tags],
        "emojis": [],
        "account": account(author, base_url),
        "mentions": [{"id": str(a.id), "username": a.username, "acct": a.username,
                      "url": f"{base_url}/@{a.username}"} for a in mentioned],
        "hubbub": {"community_id": str(s.community_id) if s.community_id else None},
    }


async def accounts(nc: NATS, ids: list[int]) -> dict[int, AccountRecord]:
    if not ids:
        return {}
    found = await bus.call(nc, graph_api.ACCOUNT_GET, graph_api.GetAccounts(ids=ids))
    return {a.id: a for a in found.accounts}


async def status_of(nc: NATS, status_id: int) -> StatusRecord | None:
    found = await bus.call(nc, posts_api.STATUS_GET, posts_api.GetStatuses(ids=[status_id]))
    return found.statuses[0] if found.statuses else None


async def status_data(nc: NATS, s: StatusRecord, base_url: str
                      ) -> tuple[dict[str, Any], dict[int, AccountRecord]] | None:
    """The Status entity, and the accounts met (the author and those mentioned); None when
    its author is gone."""
    met = await accounts(nc, [s.account_id, *s.mentions])
    author = met.get(s.account_id)
    if author is None:
        return None
    mentioned = [met[m] for m in s.mentions if m in met]
    return status(s, author, mentioned, base_url), met
