"""The SSRF guard: may Hubbub send a request to this URL that someone else typed (a Web Push
endpoint; webhooks and feeds later)? Only https to public addresses: the host is resolved and
every address it resolves to is checked, at each request (a name can point elsewhere by the
next one), and callers never follow redirects. Loopback is let in only where the operator
allows it (a local trial, the tests); private, link-local, multicast and reserved ranges never
are: they are the inside of the network this server runs in.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

RESOLVE_TIMEOUT_S = 2.0  # well within the 5 s a gateway waits for notify's answer
MAX_URL_CHARS = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not be fetched, whatever happens next (its words are the reason)."""


class Unresolvable(UnsafeUrl):
    """The host has no address right now (it may have one later)."""


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _allowed(address: IPAddress, allow_loopback: bool) -> bool:
    address = _unmapped(address)
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


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


async def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S)
    except (OSError, TimeoutError):
        raise Unresolvable(f"host {host} does not resolve") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check(url: str, *, allow_loopback: bool = False) -> list[IPAddress]:
    """The addresses ``url``'s host resolves to, IPv4 first, when every one of them may be
    fetched now; else UnsafeUrl. Plain http only to loopback, and only where
    ``allow_loopback``."""
    host, port = check_form(url, allow_loopback=allow_loopback)
    addresses = await resolve(host, port)
    if not addresses:
        raise Unresolvable(f"host {host} does not resolve")
    for address in addresses:
        if not _allowed(address, allow_loopback):
            raise UnsafeUrl("must not point to a private or reserved address")
    if urlsplit(url).scheme == "http" and not all(_unmapped(a).is_loopback for a in addresses):
        raise UnsafeUrl("must be an https URL")
    return sorted(dict.fromkeys(addresses), key=lambda a: a.version)


@dataclass(frozen=True)
class Pinned:
    """A request's target with its address fixed: send to ``url`` (the host replaced by the
    checked address) with ``host`` as its Host header and ``server_name`` for TLS (the
    certificate is checked against it), so the connection goes where the check looked, not
    wherever the name points a moment later (DNS rebinding)."""

    url: str
    host: str
    server_name: str


async def pin(url: str, *, allow_loopback: bool = False) -> Pinned:
    address = (await check(url, allow_loopback=allow_loopback))[0]
    parts = urlsplit(url)
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    hostname = parts.hostname or ""
    return Pinned(url=urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
                  host=parts.netloc, server_name=hostname)
