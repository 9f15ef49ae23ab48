"""The web client's files (``services/gateway/web/``) as versioned assets, held in memory.

Assets are served under ``/web/assets/<version>/``, where the version is a digest of their
contents: an ES module's relative imports resolve under the same prefix, so a release changes
every URL at once and each can be cached as immutable. The client's routes serve them
(``routes/web.py``); the server-rendered sign-in pages link to them through ``asset_url``.

``web/templates/`` holds those pages' Jinja sources: they are rendered on the server, never
served as files, so they are not part of the bundle (nor of its version)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent / "web"
TEMPLATES_DIR = WEB_DIR / "templates"
ASSETS = "/web/assets"
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".html": "text/html",
    ".json": "application/json",
    ".png": "image/png",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@dataclass(frozen=True)
class Bundle:
    version: str
    files: dict[str, Asset]  # path under web/ -> asset; a lookup, so no path ever escapes web/


@cache
def bundle() -> Bundle:
    files: dict[str, Asset] = {}
    whole = hashlib.sha256()
    for path in sorted(WEB_DIR.rglob("*")):
        media_type = MEDIA_TYPES.get(path.suffix)
        if not path.is_file() or media_type is None or path.is_relative_to(TEMPLATES_DIR):
            continue
        name = path.relative_to(WEB_DIR).as_posix()
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()
        whole.update(name.encode() + b"\0" + digest.encode())
        files[name] = Asset(body=body, media_type=media_type, etag=f'"{digest[:16]}"')
    return Bundle(version=whole.hexdigest()[:12], files=files)


def asset_url(name: str) -> str:
    return f"{ASSETS}/{bundle().version}/{name}"
