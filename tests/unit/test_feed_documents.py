"""Public feeds' documents and validators, without servers: the same feed gives the same bytes
(a strong ETag promises it), titles are text without markup, and conditional requests are read
as RFC 9110 says."""

from __future__ import annotations

import json
from typing import Any

import feedparser
import pytest
from litestar import Request

from services.gateway.application.feeds import not_modified, split_format
from services.gateway.presenters import feeds as present

ENTRY = present.FeedEntry(
    id="https://hub.test/@ann/1", url="https://hub.test/@ann/1",
    content_html="<p>Launch &lt;script&gt; day <a href=\"https://hub.test/tags/news\">#news</a></p>",
    spoiler_text="", author=present.FeedAuthor(name="Ann", url="https://hub.test/@ann"),
    published_ms=1_700_000_000_000, updated_ms=1_700_000_060_000, tags=("news",))
DOC = present.FeedDoc(
    title="Ann (@ann)", description="", home_url="https://hub.test/@ann",
    feed_urls={f: f"https://hub.test/@ann.{f}" for f in ("atom", "rss", "json")},
    updated_ms=1_700_000_060_000, entries=[ENTRY])


@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_the_same_feed_is_the_same_bytes(fmt: present.Format) -> None:
    assert present.render(DOC, fmt) == present.render(DOC, fmt)


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_xml_feeds_parse_with_their_content_as_given(fmt: present.Format) -> None:
    parsed = feedparser.parse(present.render(DOC, fmt))
    assert not parsed.bozo
    entry = parsed.entries[0]
    assert entry.id == ENTRY.id and entry.link == ENTRY.url
    content = entry.content[0].value if fmt == "atom" else entry.description
    assert content == ENTRY.content_html
    assert entry.title == "Launch script day #news"


def test_json_feed_has_what_version_1_1_requires() -> None:
    doc: dict[str, Any] = json.loads(present.render(DOC, "json"))
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] == DOC.title and doc["feed_url"].endswith(".json")
    (item,) = doc["items"]
    assert (item["id"], item["content_html"]) == (ENTRY.id, ENTRY.content_html)
    assert (item["date_published"], item["date_modified"]) == ("2023-11-14T22:13:20Z",
                                                                "2023-11-14T22:14:20Z")
    assert item["tags"] == ["news"]


def test_a_content_warning_is_the_title_and_long_text_is_cut() -> None:
    warned = present.FeedEntry(**{**_fields(ENTRY), "spoiler_text": "Spoilers"})
    assert present.entry_title(warned) == "Spoilers"
    long = present.FeedEntry(**{**_fields(ENTRY), "content_html": "<p>" + "word " * 40 + "</p>"})
    title = present.entry_title(long)
    assert len(title) <= present.TITLE_CHARS and title.endswith("…")


def _fields(entry: present.FeedEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in entry.__struct_fields__}


@pytest.mark.parametrize(("name", "found"), [
    ("ann.atom", ("ann", "atom")), ("ann.rss", ("ann", "rss")), ("a.b.json", ("a.b", "json")),
    ("ann", None), (".atom", None), ("ann.xml", None), ("ann.", None)])
def test_feed_names(name: str, found: tuple[str, str] | None) -> None:
    assert split_format(name) == found


def request(**headers: str) -> Request[Any, Any, Any]:
    raw = [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw,
                    "query_string": b""})  # type: ignore[arg-type]


ETAG = '"abc"'
MODIFIED_MS = 1_700_000_060_500  # Tue, 14 Nov 2023 22:14:20 GMT (and a half second)


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, False),
    ({"if_none_match": ETAG}, True),
    ({"if_none_match": f'"old", W/{ETAG}'}, True),  # a list; weak comparison for GET
    ({"if_none_match": "*"}, True),
    ({"if_none_match": '"old"'}, False),
    # If-None-Match decides when present, whatever If-Modified-Since says.
    ({"if_none_match": '"old"', "if_modified_since": "Tue, 14 Nov 2023 22:14:20 GMT"}, False),
    ({"if_modified_since": "Tue, 14 Nov 2023 22:14:20 GMT"}, True),
    ({"if_modified_since": "Tue, 14 Nov 2023 22:14:19 GMT"}, False),
    ({"if_modified_since": "yesterday"}, False),
])
def test_conditional_requests(headers: dict[str, str], expected: bool) -> None:
    assert not_modified(request(**headers), ETAG, MODIFIED_MS) is expected
