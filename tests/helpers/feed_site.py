"""A feed server on 127.0.0.1 for inbound feed tests: the same items served as RSS 2.0, Atom and
JSON Feed, with an ETag (answered 304 when the poller sends it back), and the ways a feed goes
wrong. Counts what it answers, so a test can tell a conditional GET from a full one.

    with FeedSite() as site:
        site.publish("news", Item("a", "Title a", "<p>Body</p>"))
        site.url("/rss/news")            # http://127.0.0.1:PORT/rss/news
        site.hits("/rss/news"), site.not_modified("/rss/news")

Paths:
    /rss/<name>, /atom/<name>, /json/<name>   feed <name>'s items (newest first)
    /text                 a text/plain page that is no feed
    /huge                 an RSS answer of HUGE_BYTES (streamed; never held in memory)
    /loop                 302 to itself, forever
    /hang                 never answers (until the site closes)
    /status/<code>        that status, empty
Served from threads (one per request), so that a hanging answer holds nobody else up.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HUGE_BYTES = 50_000_000


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    html: str = ""
    link: str = ""  # default: http://example.test/<id>
    guid: bool = True  # False: no id/GUID at all (keyed by link)

    @property
    def url(self) -> str:
        return self.link or f"http://example.test/{self.id}"


def rss(name: str, items: list[Item]) -> bytes:
    parts = []
    for item in items:
        guid = f"<guid isPermaLink=\"false\">{html.escape(item.id)}</guid>" if item.guid else ""
        parts.append(f"<item>{guid}<title>{html.escape(item.title)}</title>"
                     f"<link>{html.escape(item.url)}</link>"
                     f"<description>{html.escape(item.html)}</description></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{html.escape(name)}</title><link>http://example.test/</link>"
            f"<description>Feed {html.escape(name)}</description>{''.join(parts)}"
            "</channel></rss>").encode()


def atom(name: str, items: list[Item]) -> bytes:
    parts = []
    for item in items:
        parts.append(f"<entry><id>urn:x:{html.escape(item.id)}</id>"
                     f"<title>{html.escape(item.title)}</title>"
                     f'<link href="{html.escape(item.url)}"/>'
                     "<updated>2024-01-01T00:00:00Z</updated>"
                     f'<summary type="html">{html.escape(item.html)}</summary></entry>')
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{html.escape(name)}</title><id>urn:x:{html.escape(name)}</id>"
            f"<updated>2024-01-01T00:00:00Z</updated>{''.join(parts)}</feed>").encode()


def json_feed(name: str, items: list[Item]) -> bytes:
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": name,
        "items": [{"id": item.id, "url": item.url, "title": item.title,
                   "content_html": item.html} for item in items]}).encode()


FORMATS = {"rss": (rss, "application/rss+xml"), "atom": (atom, "application/atom+xml"),
           "json": (json_feed, "application/feed+json")}


class _Handler(BaseHTTPRequestHandler):
    site: FeedSite
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "text/plain",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = self.path.split("?", 1)[0]
        self.site.count(path)
        kind, _, name = path.strip("/").partition("/")
        if kind in FORMATS and name:
            render, content_type = FORMATS[kind]
            body = render(name, self.site.items(name))
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.site.count(path, not_modified=True)
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._send(200, body, content_type, {"ETag": etag})
        elif path == "/text":
            self._send(200, b"Hello, this is no feed at all.\n")
        elif path == "/huge":
            self._huge()
        elif path == "/loop":
            self._send(302, headers={"Location": "/loop"})
        elif path == "/hang":
            self.site.closing.wait(60)
        elif kind == "status":
            self._send(int(name))
        else:
            self._send(404)

    def _huge(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title>'
        chunk = b"<!-- " + b"x" * 65_000 + b" -->"
        try:
            self.wfile.write(head)
            sent = len(head)
            while sent < HUGE_BYTES and not self.site.closing.is_set():
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader stopped at its cap: as it should


class FeedSite:
    def __init__(self) -> None:
        handler = type("Handler", (_Handler,), {"site": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.closing = threading.Event()
        self._items: dict[str, list[Item]] = {}
        self._hits: Counter[str] = Counter()
        self._not_modified: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FeedSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def publish(self, name: str, *items: Item) -> None:
        """Items on top of feed ``name`` (the newest first, as feeds list them)."""
        with self._lock:
            self._items[name] = [*reversed(items), *self._items.get(name, [])]

    def items(self, name: str) -> list[Item]:
        with self._lock:
            return list(self._items.get(name, []))

    def count(self, path: str, *, not_modified: bool = False) -> None:
        with self._lock:
            (self._not_modified if not_modified else self._hits)[path] += 1

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[path]

    def not_modified(self, path: str) -> int:
        with self._lock:
            return self._not_modified[path]
