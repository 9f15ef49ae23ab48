"""Reading a feed's answer (services/posts/feeds/parse.py): entries keyed by id, else link, else
title and link; summaries as plain text with nothing of the markup left; the status text within
the status limit; what is no feed refused."""

from __future__ import annotations

import hashlib
import json

import pytest

from services.posts import text as status_text
from services.posts.feeds.parse import Entry, FeedError, html_to_text, parse, status_of
from services.posts.feeds.poller import MAX_BACKOFF_S, backoff_s


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
<item><guid>g-1</guid><title>With GUID</title><link>https://b.test/1</link></item>
<item><title>Link only</title><link>https://b.test/2</link></item>
<item><title>Neither</title></item>
</channel></rss>"""


def test_entries_are_keyed_by_id_else_link_else_title_and_link() -> None:
    feed = parse(RSS, {"content-type": "application/rss+xml"})
    assert feed.title == "Blog"
    assert [e.key for e in feed.entries] == [sha("g-1"), sha("link:https://b.test/2"),
                                             sha("hash:Neither\n")]


def test_a_json_feed_is_read() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1", "title": "J", "items": [
        {"id": "old", "title": "Old", "url": "https://j.test/old",
         "date_published": "2020-01-01T00:00:00Z", "content_text": "plain <b>text</b>"},
        {"id": "new", "title": "New", "url": "https://j.test/new",
         "date_published": "2024-01-01T00:00:00+02:00", "content_html": "<p>a</p><p>b</p>"},
        "not an item"]}).encode()
    feed = parse(body, {})
    assert [(e.title, e.summary) for e in feed.entries] == [("New", "a\n\nb"),
                                                             ("Old", "plain <b>text</b>")]


@pytest.mark.parametrize("body", [b"", b"just text", b"<html><body>page</body></html>",
                                  b'{"version": "1", "items": []}', b"[1, 2]", b"\x00\xff"])
def test_what_is_no_feed_is_refused(body: bytes) -> None:
    with pytest.raises(FeedError, match="not a feed"):
        parse(body, {"content-type": "text/html"})


@pytest.mark.parametrize(("markup", "shown"), [
    ("<p>Hello <script>alert(1)</script>world</p>", "Hello world"),
    ("<style>p{color:red}</style><b>bold</b> &amp; <i>it</i>", "bold & it"),
    ("<p>one</p><p>two</p>", "one\n\ntwo"),
    ("a<br>b", "a b"),
    ('<img src=x onerror="alert(1)"><a href="javascript:x()">link</a>', "link"),
    ("<scr<script>ipt>alert(1)</script>", "ipt>alert(1)"),
    ("<svg><script>alert(1)</script></svg>ok", "ok"),
    ("tab\tand\x00nul\x07", "tab andnul"),
])
def test_html_becomes_text(markup: str, shown: str) -> None:
    assert html_to_text(markup) == shown


def test_the_status_text_fits_the_limit() -> None:
    entry = Entry(key="k", title="T" * 150, link="https://x.test/" + "p" * 300,
                  summary="word " * 400, published=0)
    text = status_of(entry, 500)
    assert status_text.length(text) <= 500
    assert text.startswith("T" * 150) and text.endswith(entry.link) and "…" in text
    short = Entry(key="k", title="Title", link="", summary="Body", published=0)
    assert status_of(short, 500) == "Title\n\nBody"


def test_failures_back_off_doubling_up_to_a_day() -> None:
    assert [backoff_s(900, n) for n in (1, 2, 3)] == [900, 1800, 3600]
    assert backoff_s(900, 40) == MAX_BACKOFF_S
