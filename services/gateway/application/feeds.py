"""Public feeds (Atom, RSS, JSON Feed) of an account, an external community or a hashtag,
for readers outside the network: no token, so the anonymous world view of the visibility
policy (shared/policy.py) decides what is in them.

What a feed shows: its scope's newest public statuses (not reblogs, not deleted), where the
scope opted in (shared/contracts/feeds.py): an account's own posts outside communities; an
external community's posts; a hashtag's posts by opted-in accounts (outside communities) or in
opted-in communities. Each status still passes ``policy.can_see`` for ``ANONYMOUS`` with
``world_readable`` set from those opt-ins, and its author must be active (not deactivated,
suspended or disabled). An unknown scope and one that did not opt in are the same 404.

Readers poll: each answer has a strong ETag and Last-Modified, and the rendered feed is kept a
minute (feed_cache.py). A conditional request for an unchanged feed answers 304 without
rendering it, from the cache or from the statuses' ids and versions alone."""

from __future__ import annotations

import email.utils
import hashlib
import re
from typing import Any, Final, Literal, cast

import msgspec
from litestar import Request, Response

from services.gateway.application.feed_cache import TTL_S, CachedFeed, FeedCache
from services.gateway.context import Gateway
from services.gateway.presenters import feeds as present
from services.gateway.presenters.mastodon import status_url
from shared import bus, errors, policy
from shared.contracts import feeds as feeds_api
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.ids import parse_id
from shared.records import AccountRecord, StatusRecord

Kind = Literal["account", "community", "tag"]
FORMATS: Final = ("atom", "rss", "json")
ENTRIES = 20  # per feed, as Mastodon's RSS feeds
CACHE_CONTROL = f"public, max-age={TTL_S}"
_TAG = re.compile(r"^\w{1,100}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NOT_FOUND = "Record not found"


def split_format(name: str) -> tuple[str, present.Format] | None:
    """``alice.atom`` -> (``alice``, ``atom``); None when ``name`` names no feed."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or suffix not in FORMATS:
        return None
    return stem, cast(present.Format, suffix)


def feed_urls(base_url: str, path: str) -> dict[str, str]:
    return {fmt: f"{base_url}{path}.{fmt}" for fmt in FORMATS}


def account_feed_urls(base_url: str, username: str) -> dict[str, str]:
    return feed_urls(base_url, f"/@{username}")


def community_feed_urls(base_url: str, community_id: int) -> dict[str, str]:
    return feed_urls(base_url, f"/communities/{community_id}")


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    """What one feed shows, resolved: the opted-in scopes its statuses may come from."""

    title: str
    description: str
    home_url: str
    urls: dict[str, str]
    account_ids: frozenset[int] = frozenset()
    community_ids: frozenset[int] = frozenset()
    tag: str | None = None
    fallback_ms: int = 0  # the feed's date while it has no entries


class Built(msgspec.Struct, frozen=True, kw_only=True):
    etag: str
    last_modified_ms: int
    doc: present.FeedDoc


async def _ask_scopes(gw: Gateway, query: feeds_api.FeedScopesQuery) -> feeds_api.FeedScopes:
    return await bus.call(gw.nc, graph_api.FEED_SCOPES, query)


async def account_scope(gw: Gateway, username: str) -> Scope:
    if not _USERNAME.match(username):
        raise errors.NotFound(NOT_FOUND)
    found = await _ask_scopes(gw, feeds_api.FeedScopesQuery(usernames=[username]))
    account = await gw.hydrator.account(found.accounts[0].id) if found.accounts else None
    if account is None or account.barred:
        raise errors.NotFound(NOT_FOUND)
    name = account.display_name or account.username
    return Scope(title=f"{name} (@{account.username})", description=account.note,
                 home_url=f"{gw.base_url}/@{account.username}",
                 urls=account_feed_urls(gw.base_url, account.username),
                 account_ids=frozenset({account.id}), fallback_ms=account.created_at)


async def community_scope(gw: Gateway, raw_id: str) -> Scope:
    community_id = parse_id(raw_id)
    if community_id is None:
        raise errors.NotFound(NOT_FOUND)
    found = await _ask_scopes(gw, feeds_api.FeedScopesQuery(community_ids=[community_id]))
    if not found.communities:
        raise errors.NotFound(NOT_FOUND)
    community = found.communities[0]
    return Scope(title=community.name, description=community.description,
                 home_url=f"{gw.base_url}/web/communities/{community.id}",
                 urls=community_feed_urls(gw.base_url, community.id),
                 community_ids=frozenset({community.id}))


async def tag_scope(gw: Gateway, raw_tag: str) -> Scope:
    tag = raw_tag.removeprefix("#").lower()
    if not _TAG.match(tag):
        raise errors.NotFound(NOT_FOUND)
    world = await bus.call(gw.nc, graph_api.FEED_WORLD, feeds_api.WorldQuery())
    return Scope(title=f"#{tag}", description=f"Public posts tagged #{tag}",
                 home_url=f"{gw.base_url}/tags/{tag}",
                 urls=feed_urls(gw.base_url, f"/tags/{tag}"),
                 account_ids=frozenset(world.account_ids),
                 community_ids=frozenset(world.community_ids), tag=tag)


RESOLVERS = {"account": account_scope, "community": community_scope, "tag": tag_scope}


def world_facts(s: StatusRecord, scope: Scope) -> policy.PostFacts:
    """The status as the policy sees it, ``world_readable`` where its scope opted in."""
    opted = (s.community_id in scope.community_ids if s.community_id is not None
             else s.account_id in scope.account_ids)
    return policy.PostFacts(author_id=s.account_id, network_id=s.network_id,
                            visibility=s.visibility, mentions=s.mentions,
                            community_id=s.community_id, world_readable=opted)


async def entries_of(gw: Gateway, scope: Scope
                     ) -> list[tuple[StatusRecord, AccountRecord]]:
    if not scope.account_ids and not scope.community_ids:
        return []
    found = await bus.call(gw.nc, posts_api.STATUS_WORLD_FEED, posts_api.WorldFeed(
        account_ids=sorted(scope.account_ids), community_ids=sorted(scope.community_ids),
        tag=scope.tag, limit=ENTRIES))
    shown = [s for s in found.statuses if s.reblog_of_id is None
             and policy.can_see(world_facts(s, scope), policy.ANONYMOUS)]
    authors = await gw.hydrator.accounts(sorted({s.account_id for s in shown}))
    return [(s, authors[s.account_id]) for s in shown
            if s.account_id in authors and not authors[s.account_id].barred]


def validators(scope: Scope, shown: list[tuple[StatusRecord, AccountRecord]], fmt: str,
               generation: int) -> tuple[str, int]:
    """The strong ETag and Last-Modified of a feed, from what it shows (each status's id and
    version, each author's name) and the scope's own words: computed without rendering."""
    digest = hashlib.sha256(msgspec.msgpack.encode([
        fmt, generation, scope.title, scope.description, scope.urls[fmt],
        [(s.id, s.version, s.edited_at, a.username, a.display_name) for s, a in shown]]))
    updated = max((s.edited_at or s.created_at for s, _ in shown), default=scope.fallback_ms)
    return f'"{digest.hexdigest()[:40]}"', updated


def document(gw: Gateway, scope: Scope, shown: list[tuple[StatusRecord, AccountRecord]],
             updated_ms: int) -> present.FeedDoc:
    entries = []
    for s, author in shown:
        url = status_url(gw.base_url, author.username, s.id)
        entries.append(present.FeedEntry(
            id=url, url=url, content_html=s.content_html, spoiler_text=s.spoiler_text,
            author=present.FeedAuthor(name=author.display_name or author.username,
                                      url=f"{gw.base_url}/@{author.username}"),
            published_ms=s.created_at, updated_ms=s.edited_at or s.created_at, tags=s.tags))
    return present.FeedDoc(title=scope.title, description=scope.description,
                           home_url=scope.home_url, feed_urls=scope.urls,
                           updated_ms=updated_ms, entries=entries)


def http_date(ms: int) -> str:
    return email.utils.formatdate(ms // 1000, usegmt=True)


def not_modified(request: Request[Any, Any, Any], etag: str, last_modified_ms: int) -> bool:
    """RFC 9110 13.1: If-None-Match (weak comparison for GET) decides when present; else
    If-Modified-Since, to the second."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if not since:
        return False
    try:
        when = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        return False
    return last_modified_ms // 1000 <= int(when.timestamp())


def _headers(etag: str, last_modified_ms: int) -> dict[str, str]:
    return {"ETag": etag, "Last-Modified": http_date(last_modified_ms),
            "Cache-Control": CACHE_CONTROL, "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff"}


def answer(request: Request[Any, Any, Any], fmt: present.Format, etag: str,
           last_modified_ms: int, body: bytes | None) -> Response[Any]:
    headers = _headers(etag, last_modified_ms)
    if body is None or not_modified(request, etag, last_modified_ms):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=body, media_type=present.MEDIA_TYPES[fmt], headers=headers)


async def serve(gw: Gateway, request: Request[Any, Any, Any], kind: Kind, key: str,
                fmt: present.Format) -> Response[Any]:
    cache = FeedCache(gw.redis.main)
    cache_key = key.lower()
    generation, cached = await cache.read(kind, cache_key, fmt)
    if cached is not None:
        return answer(request, fmt, cached.etag, cached.last_modified_ms, cached.body)
    scope = await RESOLVERS[kind](gw, key)
    shown = await entries_of(gw, scope)
    etag, updated = validators(scope, shown, fmt, generation)
    if not_modified(request, etag, updated):
        return answer(request, fmt, etag, updated, None)
    body = present.render(document(gw, scope, shown, updated), fmt)
    await cache.store(kind, cache_key, fmt, CachedFeed(
        generation=generation, etag=etag, last_modified_ms=updated, body=body))
    return answer(request, fmt, etag, updated, body)


async def opted_in_account_links(gw: Gateway, username: str) -> dict[str, str] | None:
    """The feed URLs of ``username`` when it opted in and is active (for the profile page's
    ``<link rel="alternate">``), else None."""
    if not _USERNAME.match(username):
        return None
    found = await _ask_scopes(gw, feeds_api.FeedScopesQuery(usernames=[username]))
    account = await gw.hydrator.account(found.accounts[0].id) if found.accounts else None
    if account is None or account.barred:
        return None
    return account_feed_urls(gw.base_url, account.username)
