"""Whether a Web Push endpoint (a URL a client gave) may be sent to, and where exactly: the
address rules are the one SSRF guard's (shared/link_fetch.py: every address the host resolves
to must be public), with Web Push's own form on top: https only, no user or password in the
URL, and no redirects ever (sender.py). The operator may let endpoints be on loopback
(``HUBBUB_PUSH_ALLOW_HTTP_LOCALHOST``: a local trial, the tests), plain http included; private,
link-local and reserved addresses stay refused even then.

Checked when the subscription is made (a 422 then) and again before each send, the connection
then going to the very address checked (``pin``): a name that pointed outside when it was
checked and inside a moment later (DNS rebinding) reaches nothing inside."""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from shared import link_fetch

RESOLVE_TIMEOUT_S = 2.0  # well within the 5 s a gateway waits for notify's answer
MAX_URL_CHARS = 2048

IPAddress = link_fetch.IPAddress


class UnsafeUrl(ValueError):
    """The endpoint may not be sent to, whatever happens next (its words are the reason)."""


class Unresolvable(UnsafeUrl):
    """The host has no address right now (it may have one later)."""


def _loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def check_form(url: str, *, allow_loopback: bool) -> tuple[str, int]:
    """The URL's host and port, when its form is acceptable (no lookup yet)."""
    if len(url) > MAX_URL_CHARS:
        raise UnsafeUrl("is too long")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("is not a URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl("must be an https URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("must not carry a user or password")
    if parts.scheme == "http" and not allow_loopback:
        raise UnsafeUrl("must be an https URL")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def check(url: str, *, allow_loopback: bool = False) -> list[IPAddress]:
    """The addresses ``url``'s host resolves to, IPv4 first, when every one of them may be
    sent to now; else UnsafeUrl. Plain http only to loopback, and only where
    ``allow_loopback``."""
    host, port = check_form(url, allow_loopback=allow_loopback)
    try:
        addresses = await asyncio.wait_for(link_fetch.resolve(host, port), RESOLVE_TIMEOUT_S)
    except (link_fetch.Refused, TimeoutError):
        raise Unresolvable(f"host {host} does not resolve") from None
    for address in addresses:
        if not (link_fetch.public_address(address) or (allow_loopback and _loopback(address))):
            raise UnsafeUrl("must not point to a private or reserved address")
    if urlsplit(url).scheme == "http" and not all(_loopback(a) for a in addresses):
        raise UnsafeUrl("must be an https URL")
    return sorted(addresses, key=lambda a: a.version)


@dataclass(frozen=True)
class Pinned:
    """Where to send: ``url`` with its host replaced by the checked address, ``host`` for the
    Host header and ``server_name`` for TLS (the certificate is checked against it)."""

    url: str
    host: str
    server_name: str


async def pin(url: str, *, allow_loopback: bool = False) -> Pinned:
    address = (await check(url, allow_loopback=allow_loopback))[0]
    parts = urlsplit(url)
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return Pinned(url=urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
                  host=parts.netloc, server_name=parts.hostname or "")
