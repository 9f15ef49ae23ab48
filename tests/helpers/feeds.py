"""Public feeds for tests: switching them, reading them, and checking each format offline
(feedparser for Atom and RSS; JSON Feed 1.1's required fields here, which feedparser 6 does
not read)."""

from __future__ import annotations

import email.utils
import json
import re
from typing import Any
from xml.etree import ElementTree

import feedparser
import httpx

from tests.helpers import Api, User

SETTINGS = "/api/hubbub/v1/feeds/settings"
FORMATS = ("atom", "rss", "json")
MEDIA_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml",
               "json": "application/feed+json"}
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


async def switch(api: Api, user: User, on: bool = True) -> dict[str, Any]:
    r = await api.client.put(SETTINGS, headers=user.headers, json={"public_feed": on})
    assert r.status_code == 200, r.text
    return r.json()


async def switch_community(api: Api, user: User, community_id: str, on: bool = True
                           ) -> httpx.Response:
    return await api.client.put(f"/api/hubbub/v1/communities/{community_id}/feed",
                                headers=user.headers, json={"public_feed": on})


async def fetch(api: Api, path: str, fmt: str, **headers: str) -> httpx.Response:
    """A feed as a reader gets it: no token."""
    return await api.client.get(f"{path}.{fmt}", headers=headers)


def check_atom(body: bytes) -> None:
    """Atom 1.0 (RFC 4287): the feed's id, title, updated and self link; each entry's id,
    title, updated, an author (its own or the feed's) and RFC 3339 dates."""
    root = ElementTree.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{name}") or "").strip(), name
    assert RFC3339.match(root.findtext(f"{ATOM}updated") or "")
    assert any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link"))
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "published"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
        assert RFC3339.match(entry.findtext(f"{ATOM}updated") or "")
        assert (entry.findtext(f"{ATOM}author/{ATOM}name") or "").strip()
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"


def check_rss(body: bytes) -> None:
    """RSS 2.0: the channel's title, link and description; each item's guid and an RFC 822
    pubDate."""
    root = ElementTree.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for name in ("title", "link", "description"):
        assert (channel.findtext(name) or "").strip(), name
    for item in channel.findall("item"):
        assert (item.findtext("guid") or "").strip()
        assert email.utils.parsedate_to_datetime(item.findtext("pubDate") or "") is not None


def check_json_feed(body: bytes) -> dict[str, Any]:
    """JSON Feed 1.1 (jsonfeed.org/version/1.1): version URL, title, items; each item a string
    id and content; dates RFC 3339."""
    doc = json.loads(body)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str) and doc["title"]
    assert isinstance(doc["items"], list)
    assert doc["feed_url"].endswith(".json")
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item["content_html"], str)
        for name in ("date_published", "date_modified"):
            assert RFC3339.match(item[name]), item[name]
        assert item["authors"] and item["authors"][0]["name"]
    return doc


def entries(r: httpx.Response, fmt: str) -> dict[str, str]:
    """A feed answer checked for its format: entry id (the status URL) -> its HTML content."""
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(MEDIA_TYPES[fmt])
    if fmt == "json":
        return {i["id"]: i["content_html"] for i in check_json_feed(r.content)["items"]}
    (check_atom if fmt == "atom" else check_rss)(r.content)
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    if fmt == "atom":
        return {e.id: e.content[0].value for e in parsed.entries}
    return {e.id: e.description for e in parsed.entries}


async def feed_ids(api: Api, path: str) -> dict[str, set[str]]:
    """Each format's entry ids for a feed (every format must parse)."""
    return {fmt: set(entries(await fetch(api, path, fmt), fmt)) for fmt in FORMATS}


def urls(*statuses: dict[str, Any]) -> set[str]:
    return {s["url"] for s in statuses}
