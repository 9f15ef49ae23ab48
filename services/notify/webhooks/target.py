"""Whether a webhook URL may be sent to: the one SSRF guard's rules (shared/link_fetch.py: http
or https, every address the host resolves to public, or in the operator's allow-list
``HUBBUB_OUTBOUND_ALLOW``), with a webhook's own form on top (no user or password in the URL,
no fragment, a bounded length).

Checked when the webhook is made or its URL changed (a 422 naming the problem), and again by
each delivery: ``link_fetch.request`` resolves and checks the host then, and connects to the
very address it checked (a name that pointed outside at subscription and inside now reaches
nothing inside)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from shared import link_fetch
from shared.settings import Settings

MAX_URL_CHARS = 2048
RESOLVE_TIMEOUT_S = 2.0  # within the 5 s a gateway waits for notify's answer


class UnsafeUrl(ValueError):
    """The URL may not be a webhook's (its words are the reason)."""


def guard(settings: Settings) -> link_fetch.Guard:
    return link_fetch.Guard.allowing(settings.outbound_allow)


def check_form(url: str) -> None:
    if len(url) > MAX_URL_CHARS:
        raise UnsafeUrl("is too long")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a bad port raises)
    except ValueError:
        raise UnsafeUrl("is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("must be an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("must not carry a user or password")
    if any(ord(c) < 33 for c in url):
        raise UnsafeUrl("must not contain spaces or control characters")


async def check(url: str, guard: link_fetch.Guard,
                resolver: link_fetch.Resolver = link_fetch.resolve) -> None:
    """UnsafeUrl unless ``url`` may be sent to now."""
    check_form(url)
    try:
        await asyncio.wait_for(link_fetch.checked_address(httpx.URL(url), guard, resolver),
                               RESOLVE_TIMEOUT_S)
    except TimeoutError:
        raise UnsafeUrl("host does not resolve") from None
    except link_fetch.Refused as exc:
        if "not public" in str(exc):
            raise UnsafeUrl("must not point to a private, loopback, link-local or reserved "
                            "address") from None
        raise UnsafeUrl(f"is refused: {exc}") from None
