"""Status text: find mentions, hashtags and links, count length as Mastodon does, and render HTML
in which everything the author typed is escaped (no markup of theirs survives)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

URL_LENGTH = 23  # Mastodon counts every link as this many characters
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
# A mention: @user or @user@domain, not preceded by a word character (e-mail addresses).
MENTION = re.compile(r"(?<![\w/])@([A-Za-z0-9_]{1,30})(?:@([A-Za-z0-9.-]+\.[A-Za-z]{2,}))?")
# A hashtag: Unicode letters, digits, underscores; at least one non-digit.
HASHTAG = re.compile(r"(?<![\w/&#])#(\w{1,100})", re.UNICODE)


@dataclass
class ParsedText:
    text: str
    mentions: list[tuple[str, str | None]] = field(default_factory=list)  # (username, domain)
    tags: list[str] = field(default_factory=list)  # normalized (lower case), first seen order
    urls: list[str] = field(default_factory=list)


def parse(text: str) -> ParsedText:
    parsed = ParsedText(text=text)
    url_spans = [m.span() for m in URL.finditer(text)]
    parsed.urls = [m.group(0) for m in URL.finditer(text)]

    def outside_urls(pos: int) -> bool:
        return not any(start <= pos < end for start, end in url_spans)

    seen_mentions: set[str] = set()
    for m in MENTION.finditer(text):
        if outside_urls(m.start()) and m.group(1).lower() not in seen_mentions:
            seen_mentions.add(m.group(1).lower())
            parsed.mentions.append((m.group(1), m.group(2)))
    seen_tags: set[str] = set()
    for m in HASHTAG.finditer(text):
        tag = m.group(1)
        if outside_urls(m.start()) and not tag.isdigit() and tag.lower() not in seen_tags:
            seen_tags.add(tag.lower())
            parsed.tags.append(tag.lower())
    return parsed


def first_link(text: str) -> str | None:
    """The link a status's preview card shows: its first http(s) URL. Mentions and hashtags
    are never URLs in a status's text (they are rendered from ``@name`` and ``#tag``)."""
    found = URL.search(text)
    return found.group(0) if found else None


def length(text: str) -> int:
    """Characters as Mastodon counts them: a link is 23, a remote mention counts as @user."""
    counted = URL.sub("x" * URL_LENGTH, text)
    counted = MENTION.sub(lambda m: "@" + m.group(1), counted)
    return len(counted)


def render_html(text: str, *, base_url: str, known_mentions: dict[str, tuple[str, str]]) -> str:
    """HTML for a status. ``known_mentions`` maps a lower-cased username to (profile URL,
    network domain); mentions of unknown accounts, or naming another network, stay plain text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    tokens: list[tuple[int, int, str]] = []
    for m in URL.finditer(text):
        url = m.group(0)
        href = html.escape(url, quote=True)
        shown = html.escape(re.sub(r"^https?://(www\.)?", "", url, flags=re.IGNORECASE))
        tokens.append((m.start(), m.end(),
                       f'<a href="{href}" target="_blank" rel="nofollow noopener noreferrer" '
                       f'translate="no">{shown}</a>'))
    taken = [(s, e) for s, e, _ in tokens]

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for m in MENTION.finditer(text):
        known = known_mentions.get(m.group(1).lower())
        domain = m.group(2)
        if known is None or (domain is not None and domain.lower() != known[1]):
            continue
        url = known[0]
        if free(*m.span()):
            tokens.append((m.start(), m.end(),
                           f'<span class="h-card" translate="no"><a href="{html.escape(url)}" '
                           f'class="u-url mention">@<span>{html.escape(m.group(1))}</span></a>'
                           "</span>"))
            taken.append(m.span())
    for m in HASHTAG.finditer(text):
        tag = m.group(1)
        if not tag.isdigit() and free(*m.span()):
            href = html.escape(f"{base_url}/tags/{tag.lower()}", quote=True)
            tokens.append((m.start(), m.end(),
                           f'<a href="{href}" class="mention hashtag" rel="tag">#<span>'
                           f"{html.escape(tag)}</span></a>"))
            taken.append(m.span())
    tokens.sort()
    out: list[str] = []
    pos = 0
    for start, end, markup in tokens:
        out.append(html.escape(text[pos:start]))
        out.append(markup)
        pos = end
    out.append(html.escape(text[pos:]))
    body = "".join(out)
    paragraphs = [p for p in re.split(r"\n{2,}", body.strip()) if p]
    return "".join(f"<p>{p.replace(chr(10), '<br />')}</p>" for p in paragraphs)
