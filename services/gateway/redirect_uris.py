"""Which redirect URIs an app may register, and which one an authorization request may use
(RFC 9700 2.1 and 4.1, RFC 8252 for native apps).

Anyone may register an app, so a redirect URI is where an attacker would like codes to go. Only
these are accepted:

- ``https://host/...`` (no user name or password in it);
- ``http://`` to a loopback address (``127.0.0.0/8``, ``[::1]``, ``localhost``): a native app's
  listener on this machine (RFC 8252 7.3), or to the gateway's own origin (the web client);
- a private-use scheme with a dot, a reversed domain name the app's maker owns
  (``com.example.app:/callback``, RFC 8252 7.1): a scheme without one (``foo://``) is claimed
  by any app on the device, and ``javascript:``/``data:`` are not places at all. Mobile
  Mastodon apps older than that advice use dot-less schemes (``oauth2redirect://``): an
  operator who wants them lists their schemes in HUBBUB_OAUTH_EXTRA_SCHEMES (PKCE still keeps
  a code intercepted by another app useless);
- the out-of-band URN, which shows the code on Hubbub's own page.

Never a fragment (RFC 6749 3.1.2). At the authorization request the URI must equal a registered
one exactly, except the port of a loopback URI, which a native app picks when it starts
listening (RFC 8252 7.3)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

OOB = "urn:ietf:wg:oauth:2.0:oob"
MAX_LENGTH = 2000
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(uri: str) -> SplitResult | None:
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return None
    return parts


def problem(uri: str, own_origin: str, extra_schemes: tuple[str, ...] = ()) -> str | None:
    """Why this redirect URI cannot be registered, or None when it can. ``extra_schemes``:
    dot-less private-use schemes the operator accepts (HUBBUB_OAUTH_EXTRA_SCHEMES)."""
    if uri == OOB:
        return None
    if len(uri) > MAX_LENGTH or _CONTROL.search(uri):
        return "is too long or has spaces or control characters"
    if "#" in uri:
        return "must not have a fragment (#)"
    parts = _split(uri)
    if parts is None or not parts.scheme:
        return "must be an absolute URI"
    scheme = parts.scheme.lower()
    if scheme in ("https", "http"):
        if not parts.hostname:
            return "must name a host"
        if parts.username is not None or parts.password is not None:
            return "must not carry a user name or password"
        if scheme == "http" and not (_loopback(parts.hostname) or _origin(parts) == own_origin):
            return "must use https (http only to a loopback address such as 127.0.0.1)"
        return None
    if "." not in scheme and scheme not in extra_schemes:
        return ("must use https, http to a loopback address, or a private-use scheme named "
                "after a domain the app owns, such as com.example.app:/callback")
    return None


def _origin(parts: SplitResult) -> str:
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return _origin(parts)


def matching(requested: str, registered: list[str]) -> str | None:
    """The registered URI this request names, or None. Exact string match, but a loopback
    ``http`` URI may come with any port (or none)."""
    if requested in registered:
        return requested
    asked = _split(requested) if "#" not in requested else None
    if asked is None or asked.scheme != "http" or not _loopback(asked.hostname or ""):
        return None
    for uri in registered:
        parts = _split(uri)
        if (parts is not None and parts.scheme == "http" and _loopback(parts.hostname or "")
                and _without_port(parts) == _without_port(asked)):
            return requested
    return None


def _without_port(parts: SplitResult) -> tuple[str, str | None, str, str]:
    return (parts.hostname or "", parts.username, parts.path, parts.query)
