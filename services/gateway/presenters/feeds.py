"""Public feeds as documents: Atom 1.0 and RSS 2.0 (made by ``feedgen``) and JSON Feed 1.1
(made here with msgspec: feedgen has no JSON Feed writer). Pure: the application layer
(services/gateway/application/feeds.py) gathers what a feed shows, already filtered.

An entry's content is the status's ``content`` as the API gives it: HTML that Hubbub made from
the author's text (services/posts/text.py) with everything the author typed escaped. Each format
then carries that HTML as text (XML-escaped in Atom and RSS, a JSON string in JSON Feed), so a
reader renders it as HTML and nothing in it is markup of the feed itself."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Final, Literal

import msgspec
from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

Format = Literal["atom", "rss", "json"]
MEDIA_TYPES: Final[dict[str, str]] = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
TITLE_CHARS = 80
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")
_ANGLES = re.compile(r"[<>]")


class FeedAuthor(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    url: str


class FeedEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # the status's URL: stable, and what the web client shows
    url: str
    content_html: str
    spoiler_text: str
    author: FeedAuthor
    published_ms: int
    updated_ms: int
    tags: tuple[str, ...] = ()


class FeedDoc(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    description: str
    home_url: str  # the web client's page of what the feed follows
    feed_urls: dict[str, str]  # format -> the feed's own URL (self links)
    updated_ms: int
    entries: list[FeedEntry]


def plain_text(html: str) -> str:
    """The HTML's words, for a title. Without ``<`` and ``>``: a title is text in every format,
    but some readers show it as HTML, and what the author typed must not become markup there."""
    return _SPACES.sub(" ", _ANGLES.sub("", unescape(_TAGS.sub(" ", html)))).strip()


def entry_title(entry: FeedEntry) -> str:
    """Statuses have no title: the content warning, or the text's start."""
    text = entry.spoiler_text.strip() or plain_text(entry.content_html)
    if len(text) > TITLE_CHARS:
        text = text[:TITLE_CHARS - 1].rstrip() + "…"
    return text or entry.url


def moment(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def rfc3339(ms: int) -> str:
    return moment(ms).isoformat(timespec="seconds").replace("+00:00", "Z")


def _generator(doc: FeedDoc, fmt: Format) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(doc.feed_urls["atom"])
    fg.title(doc.title)
    fg.description(doc.description or doc.title)  # RSS requires one; Atom's subtitle
    fg.link(href=doc.feed_urls[fmt], rel="self", type=MEDIA_TYPES[fmt].split(";")[0])
    fg.link(href=doc.home_url, rel="alternate", type="text/html")
    fg.updated(moment(doc.updated_ms))
    fg.lastBuildDate(moment(doc.updated_ms))  # not "now": the same feed, the same bytes
    fg.generator("Hubbub")
    if fmt == "rss":
        fg.load_extension("dc", atom=False, rss=True)  # RSS's <author> wants an e-mail address
    for e in doc.entries:
        fe = fg.add_entry(order="append")
        fe.id(e.id)
        fe.guid(e.id, permalink=True)
        fe.title(entry_title(e))
        fe.link(href=e.url, rel="alternate", type="text/html")
        if fmt == "rss":
            fe.description(e.content_html)
            fe.dc.dc_creator(e.author.name)
        else:
            fe.content(e.content_html, type="html")
            fe.author(name=e.author.name, uri=e.author.url)
        fe.published(moment(e.published_ms))
        fe.updated(moment(e.updated_ms))
        for tag in e.tags:
            fe.category(term=tag)
    return fg


def atom(doc: FeedDoc) -> bytes:
    body: bytes = _generator(doc, "atom").atom_str(pretty=False)
    return body


def rss(doc: FeedDoc) -> bytes:
    body: bytes = _generator(doc, "rss").rss_str(pretty=False)
    return body


_json = msgspec.json.Encoder()


def json_feed(doc: FeedDoc) -> bytes:
    """JSON Feed 1.1 (jsonfeed.org/version/1.1): ``version``, ``title`` and ``items`` are
    required, each item an ``id`` (a string) and ``content_html`` or ``content_text``."""
    return _json.encode({
        "version": JSON_FEED_VERSION,
        "title": doc.title,
        "home_page_url": doc.home_url,
        "feed_url": doc.feed_urls["json"],
        "description": doc.description or doc.title,
        "items": [{
            "id": e.id,
            "url": e.url,
            "title": entry_title(e),
            "content_html": e.content_html,
            "date_published": rfc3339(e.published_ms),
            "date_modified": rfc3339(e.updated_ms),
            "authors": [{"name": e.author.name, "url": e.author.url}],
            **({"tags": list(e.tags)} if e.tags else {}),
        } for e in doc.entries],
    })


def render(doc: FeedDoc, fmt: Format) -> bytes:
    if fmt == "atom":
        return atom(doc)
    if fmt == "rss":
        return rss(doc)
    return json_feed(doc)
