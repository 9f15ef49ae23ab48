"""A feed's answer (Atom, RSS 0.9x/1.0/2.0, JSON Feed: whatever feedparser reads) as the entries
to post, each with the key that tells it apart and the status text that shows it.

The summary is HTML from a stranger: it never reaches a reader as HTML. It is reduced to its
text here (tags dropped, the content of script, style and the like dropped with them), and the
status text then goes through the same rendering as every member's post (``text.render_html``:
everything escaped, links, mentions and hashtags made by Hubbub). So no markup of the feed's,
and no script, can survive; feedparser's own sanitizing (on by default) comes first besides.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import html.parser
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import feedparser  # type: ignore[import-untyped]

from services.posts import text as status_text

TITLE_CHARS = 200
LINK_CHARS = 2000
_DROPPED = {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg",
            "math", "head", "title"}
_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
           "blockquote", "pre", "section", "article", "hr", "table"}
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class FeedError(Exception):
    """The answer is not a feed (its message is shown to the community's admins)."""


@dataclass(frozen=True)
class Entry:
    key: str  # sha256 (hex) of the entry's id/GUID, else its link, else its title and link
    title: str
    link: str
    summary: str  # plain text
    published: float  # seconds since the epoch, 0 when the feed gave no date


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: list[Entry]  # newest first


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """The text a browser would show of ``value``, paragraphs kept, markup gone."""
    parser = _Text()
    try:
        parser.feed(value)
        parser.close()
    except Exception:  # noqa: BLE001 - markup the parser gives up on: what was read so far
        pass
    raw = _CONTROL.sub("", "".join(parser.parts).replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in raw.split("\n")]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _line(value: str, limit: int) -> str:
    value = _SPACES.sub(" ", _CONTROL.sub("", value.replace("\n", " "))).strip()
    return value if len(value) <= limit else value[:limit - 1].rstrip() + "…"


def _link(value: str) -> str:
    value = value.strip()
    ok = value.lower().startswith(("https://", "http://")) and len(value) <= LINK_CHARS
    return value if ok and not _CONTROL.search(value) and " " not in value else ""


def entry_key(entry: Any) -> str:
    """The entry's identity across polls: its id/GUID, else its link, else title and link."""
    raw = str(entry.get("id") or "").strip()
    if not raw:
        raw = "link:" + str(entry.get("link") or "").strip()
        if raw == "link:":
            raw = "hash:" + str(entry.get("title") or "") + "\n" + str(entry.get("link") or "")
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def _summary(entry: Any) -> str:
    content = entry.get("content") or []
    if entry.get("summary"):
        value = str(entry.get("summary"))
    elif content and isinstance(content[0], dict):
        value = str(content[0].get("value") or "")
    else:
        value = ""
    return html_to_text(value)


def _published(entry: Any) -> float:
    for field in ("published_parsed", "updated_parsed"):
        parsed = entry.get(field)
        if parsed:
            try:
                return float(calendar.timegm(parsed))
            except (TypeError, ValueError, OverflowError):
                continue
    return 0.0


def _iso(value: Any) -> time.struct_time | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).timetuple()


def json_feed(body: bytes) -> tuple[str, list[dict[str, Any]]] | None:
    """A JSON Feed (jsonfeed.org, 1.0 and 1.1; feedparser 6.0 reads none) as feedparser's
    shapes: its title and entries with ``id``, ``link``, ``title``, ``summary`` and dates.
    None when ``body`` is not one."""
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(decoded, dict) or not str(decoded.get("version", "")).startswith(
            "https://jsonfeed.org/version/"):
        return None
    items = decoded.get("items")
    entries = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        summary = item.get("content_html") or item.get("summary") or ""
        if not summary and isinstance(item.get("content_text"), str):
            summary = html.escape(item["content_text"]).replace("\n", "<br>")
        entries.append({
            "id": str(item.get("id") or ""), "link": str(item.get("url") or ""),
            "title": str(item.get("title") or ""), "summary": str(summary),
            "published_parsed": _iso(item.get("date_published")),
            "updated_parsed": _iso(item.get("date_modified"))})
    return str(decoded.get("title") or ""), entries


def parse(body: bytes, headers: dict[str, str]) -> ParsedFeed:
    """The entries of ``body``, newest first (by date where the feed gives dates, else in the
    feed's own order, which puts the newest first by convention); FeedError when it is no
    feed at all."""
    found = json_feed(body) if body.lstrip()[:1] == b"{" else None
    if found is not None:
        feed_title, raw_entries = found
    else:
        parsed = feedparser.parse(body, response_headers=headers)
        if not parsed.get("version") and not parsed.get("entries"):
            problem = _line(str(parsed.get("bozo_exception") or ""), 200)
            raise FeedError("not a feed (neither Atom, RSS nor JSON Feed)"
                            + (f": {problem}" if problem else ""))
        feed_title = str(parsed.get("feed", {}).get("title") or "")
        raw_entries = list(parsed.get("entries", []))
    entries = []
    for position, entry in enumerate(raw_entries):
        entries.append((_published(entry), -position, Entry(
            key=entry_key(entry), title=_line(html_to_text(str(entry.get("title") or "")),
                                               TITLE_CHARS),
            link=_link(str(entry.get("link") or "")), summary=_summary(entry),
            published=_published(entry))))
    entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
    title = _line(html_to_text(feed_title), TITLE_CHARS)
    return ParsedFeed(title=title, entries=[e for _, _, e in entries])


def status_of(entry: Entry, max_chars: int) -> str:
    """The status text: title, summary (cut to fit), link; within ``max_chars`` as Mastodon
    counts (a link counts 23)."""
    head = entry.title
    tail = entry.link
    fixed = "\n\n".join(p for p in (head, tail) if p)
    room = max_chars - status_text.length(fixed) - (4 if fixed else 0)
    summary = entry.summary
    if room <= 0:
        summary = ""
    elif status_text.length(summary) > room:
        cut = summary[:room]
        while cut and status_text.length(cut + "…") > room:
            cut = cut[:-max(1, len(cut) // 10)]
        summary = cut.rstrip() + "…" if cut.strip() else ""
    parts = [p for p in (head, summary, tail) if p]
    body = "\n\n".join(parts)
    if status_text.length(body) > max_chars:  # a title and link alone too long: the title cut
        body = "\n\n".join(p for p in (head[:max(0, max_chars - 30)] + "…", tail) if p)
    return body
