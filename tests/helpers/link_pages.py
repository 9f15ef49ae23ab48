"""A tiny web site on 127.0.0.1 for link preview tests: pages with OpenGraph metadata, redirects
(anywhere, including private addresses), a page far past the size limit, a slow page, files
that are not HTML. It counts the requests of each path, so a test can tell whether a page was
fetched again.

    with LinkPages() as site:
        site.url("/page/a")         # http://127.0.0.1:PORT/page/a
        site.hits("/page/a")

Paths:
    /page/<name>          an HTML page whose og:title is "Title <name>"
    /plain/<name>         HTML with a <title> and a description only
    /video/<name>         og:type video.other
    /redirect?to=<url>    302 to <url> (any URL, as given)
    /hops/<n>             302 to /hops/<n-1>, ..., /hops/0 being a page
    /huge                 an HTML page of HUGE_BYTES, its head first (its title: "Huge")
    /slow?s=<seconds>     a page after <seconds>
    /json, /image.png     not HTML
    /missing              404
Served from threads (one per request), so that a slow page holds nobody else up.
"""

from __future__ import annotations

import html
import ssl
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HUGE_BYTES = 3_000_000


def page(title: str, *, description: str = "", og: dict[str, str] | None = None) -> bytes:
    metas = "".join(f'<meta property="{html.escape(k)}" content="{html.escape(v)}">'
                    for k, v in (og or {}).items())
    if description:
        metas += f'<meta name="description" content="{html.escape(description)}">'
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}"
            f"</title>{metas}</head><body><h1>{html.escape(title)}</h1></body></html>"
            ).encode()


class _Handler(BaseHTTPRequestHandler):
    site: LinkPages

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
        pass

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
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
            pass  # the reader stopped (the size limit): as it should

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        """A POST is answered as a GET of the same path (its body read and dropped)."""
        self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        self.site.count(path, self.headers.get("Host", ""))
        name = path.rsplit("/", 1)[-1]
        if path.startswith("/page/"):
            self._send(200, page(f"Title {name}", og={
                "og:title": f"Title {name}", "og:description": f"About {name}",
                "og:site_name": "Link pages", "og:image": f"http://images.test/{name}.png",
                "og:image:width": "640", "og:image:height": "480"}))
        elif path.startswith("/plain/"):
            self._send(200, page(f"Plain {name}", description=f"Plainly {name}"))
        elif path.startswith("/video/"):
            self._send(200, page(f"Video {name}", og={"og:type": "video.other"}))
        elif path == "/redirect":
            self._send(302, b"", headers={"Location": query.get("to", ["/"])[0]})
        elif path.startswith("/hops/"):
            n = int(name)
            if n <= 0:
                self._send(200, page("Arrived"))
            else:
                self._send(302, b"", headers={"Location": f"/hops/{n - 1}"})
        elif path == "/huge":
            head = page("Huge")
            self._send(200, head + b"<p>" + b"x" * (HUGE_BYTES - len(head) - 3))
        elif path == "/slow":
            time.sleep(float(query.get("s", ["3"])[0]))
            self._send(200, page("Slow"))
        elif path == "/json":
            self._send(200, b'{"title": "not a page"}', "application/json")
        elif path == "/image.png":
            self._send(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
        else:
            self._send(404, page("Not found"))


class LinkPages:
    """``tls``: serve https with this context (a certificate of the test's own CA)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        handler = type("Handler", (_Handler,), {"site": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.scheme = "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._hits: Counter[str] = Counter()
        self.hosts: list[str] = []  # the Host header of each request, in order
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def count(self, path: str, host: str) -> None:
        with self._lock:
            self._hits[path] += 1
            self.hosts.append(host)

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[path]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def start(self) -> LinkPages:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LinkPages:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
