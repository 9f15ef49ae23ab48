"""What a page says about itself: OpenGraph, Twitter card and plain HTML metadata, read with the
standard library's parser (tolerant of broken markup; runs no script, fetches nothing)."""

from __future__ import annotations

import html.parser
import re
from dataclasses import dataclass

TITLE_CHARS = 300
DESCRIPTION_CHARS = 1000
NAME_CHARS = 200
URL_CHARS = 2000
_SPACE = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class PageMeta:
    title: str = ""
    description: str = ""
    type: str = "link"  # Mastodon's PreviewCard type: link, photo or video
    author_name: str = ""
    author_url: str = ""
    provider_name: str = ""
    image_url: str = ""
    width: int = 0
    height: int = 0


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self.in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "title":
            self.in_title = True
        elif tag == "meta":
            values = {k.lower(): v or "" for k, v in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values and key not in self.meta:
                self.meta[key] = values["content"]
        elif tag == "body":
            self.done = True  # the head is over: what follows is content, not metadata

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self.in_title and not self.done:
            self.title.append(data)


def decode(body: bytes, charset: str | None) -> str:
    """The page's text: the header's charset, else a <meta charset>, else UTF-8 (what cannot
    be decoded replaced)."""
    if charset is None:
        found = _META_CHARSET.search(body[:4096])
        charset = found.group(1).decode("ascii").lower() if found else None
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def clean(value: str, limit: int) -> str:
    """One line of text, without NUL (PostgreSQL's text cannot hold it), at most ``limit``."""
    value = _SPACE.sub(" ", value.replace("\x00", "")).strip()
    return value if len(value) <= limit else value[:limit - 1].rstrip() + "…"


def _int(value: str) -> int:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 6 else 0


def _url(value: str) -> str:
    value = value.strip().replace("\x00", "")
    return value if value.lower().startswith(("https://", "http://")) and len(value) <= URL_CHARS \
        else ""


def page_meta(text: str) -> PageMeta:
    collector = _Collector()
    try:
        collector.feed(text)
        collector.close()
    except Exception:  # noqa: BLE001 - a page the parser gives up on: what was read so far
        pass
    meta = collector.meta

    def first(*keys: str) -> str:
        for key in keys:
            if meta.get(key, "").strip():
                return meta[key]
        return ""

    og_type = first("og:type").strip().lower()
    return PageMeta(
        title=clean(first("og:title", "twitter:title") or "".join(collector.title), TITLE_CHARS),
        description=clean(first("og:description", "twitter:description", "description"),
                          DESCRIPTION_CHARS),
        type="video" if og_type.startswith("video") else "link",
        author_name=clean(first("author", "article:author", "twitter:creator"), NAME_CHARS),
        author_url=_url(first("article:author")),
        provider_name=clean(first("og:site_name", "application-name"), NAME_CHARS),
        image_url=_url(first("og:image", "og:image:url", "og:image:secure_url",
                             "twitter:image", "twitter:image:src")),
        width=_int(first("og:image:width")),
        height=_int(first("og:image:height")),
    )
