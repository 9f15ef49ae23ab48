"""What clients ask first: instance metadata; plus health, metrics and default images."""

from __future__ import annotations

import struct
import zlib
from functools import cache
from typing import Any

from litestar import Request, Response, get

from services.gateway import responses
from services.gateway.application import uploads
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import PUBLIC
from shared import metrics
from shared.settings import Settings


def _configuration(settings: Settings) -> dict[str, Any]:
    return {
        "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
        "statuses": {
            "max_characters": settings.max_status_chars,
            "max_media_attachments": uploads.MAX_ATTACHMENTS,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": uploads.configuration(),
        "polls": {"max_options": 4, "max_characters_per_option": 50,
                  "min_expiration": 300, "max_expiration": 2629746},
    }


@get("/api/v1/instance", sync_to_thread=False, opt=PUBLIC)
def instance_v1(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    s = gw.settings
    ws = gw.base_url.replace("http://", "ws://").replace("https://", "wss://")
    return responses.json({
        "uri": s.instance_domain,
        "title": s.instance_title,
        "short_description": "Enterprise micromessaging, open like Mastodon.",
        "description": "Hubbub: post, follow people, hashtags and communities, live.",
        "email": "",
        "version": mastodon.VERSION,
        "urls": {"streaming_api": ws},
        "stats": {"user_count": 0, "status_count": 0, "domain_count": 0},
        "thumbnail": None,
        "languages": ["en"],
        "registrations": mastodon.registrations_open(s.registrations),
        "approval_required": s.registrations == "approval",
        "invites_enabled": True,
        "configuration": _configuration(s),
        "vapid_key": gw.vapid_public_key,
        "contact_account": None,
        "rules": [],
    })


@get("/api/v2/instance", sync_to_thread=False, opt=PUBLIC)
def instance_v2(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    s = gw.settings
    ws = gw.base_url.replace("http://", "ws://").replace("https://", "wss://")
    config = _configuration(s)
    config["urls"] = {"streaming": ws, "status": None}
    config["translation"] = {"enabled": False}
    config["vapid"] = {"public_key": gw.vapid_public_key}
    return responses.json({
        "domain": s.instance_domain,
        "title": s.instance_title,
        "version": mastodon.VERSION,
        "source_url": "https://example.invalid/hubbub",
        "description": "Hubbub: enterprise micromessaging, open like Mastodon.",
        "usage": {"users": {"active_month": 0}},
        "thumbnail": {"url": f"{gw.base_url}/headers/original/missing.png"},
        "icon": [],
        "languages": ["en"],
        "configuration": config,
        "registrations": {"enabled": mastodon.registrations_open(s.registrations),
                          "approval_required": s.registrations == "approval",
                          "message": mastodon.REGISTRATION_MESSAGES[s.registrations],
                          "min_age": None, "reason_required": False},
        "api_versions": {"mastodon": mastodon.API_VERSION},
        "contact": {"email": "", "account": None},
        "rules": [],
    })


@get("/healthz", sync_to_thread=False, opt=PUBLIC)
def healthz() -> Response[Any]:
    return Response(content=b"ok\n", media_type="text/plain")


@get("/readyz", sync_to_thread=False, opt=PUBLIC)
def readyz(request: Request[Any, Any, Any]) -> Response[Any]:
    checks = request.app.state.gateway.checks()
    ok = all(checks.values())
    return responses.json({"ready": ok, "checks": checks}, 200 if ok else 503)


@get("/metrics", sync_to_thread=False, opt=PUBLIC)
def metrics_endpoint() -> Response[Any]:
    body, ctype = metrics.render()
    return Response(content=body, media_type=ctype)


@cache
def _png(rgb: tuple[int, int, int], size: int = 96) -> bytes:
    """A solid-colour PNG, made once: the default avatar and header every client can draw."""
    row = b"\x00" + bytes(rgb) * size
    raw = row * size

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


@get(["/avatars/original/missing.png"], sync_to_thread=False, opt=PUBLIC)
def default_avatar() -> Response[Any]:
    return Response(content=_png((0x6D, 0x5B, 0xD0)), media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


@get(["/headers/original/missing.png"], sync_to_thread=False, opt=PUBLIC)
def default_header() -> Response[Any]:
    return Response(content=_png((0x2F, 0x2A, 0x4A)), media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


ROUTES = [instance_v1, instance_v2, healthz, readyz, metrics_endpoint, default_avatar,
          default_header]
