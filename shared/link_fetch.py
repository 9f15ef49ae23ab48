"""Fetching a URL someone typed (a link in a status, a feed, a webhook target), through the one
SSRF guard. ``request`` is the general call (any method, an ``Answer`` back); ``fetch_html`` is
the link preview's use of it.

A link preview makes the server fetch whatever a member typed, from inside the company's
network: without a guard, ``http://169.254.169.254/`` (cloud metadata), ``http://10.0.0.5/admin``
or ``http://localhost:5432`` become reachable through Hubbub. So, for every request of a fetch
(the first, and each redirect, followed by hand):

- http and https only, on any port;
- the host is resolved once, and every address it resolves to must be public: loopback,
  private, link-local, multicast, reserved, unspecified and shared (CGNAT) addresses are
  refused, IPv4 and IPv6 alike, IPv4-mapped IPv6 judged as the IPv4 address it carries. One bad
  address refuses the host (a name answering both a public and a private address is a trick);
- the connection goes to the very address that was checked, never to a second resolution (DNS
  rebinding: a name that answers a public address to the check and 127.0.0.1 to the connect):
  the request is sent to the IP, with the Host header and TLS SNI (and so the certificate check)
  naming the host;
- at most MAX_REDIRECTS redirects, each one checked as above;
- a total time limit (DNS, connect, headers, body), and a size limit: the body is streamed and
  reading stops at ``max_bytes`` (the page is cut, not refused: a page's head is at its start);
- no proxy from the environment (a proxy would resolve the host itself, past the check).

``Guard.allow_private`` turns the address check off (tests serve pages on 127.0.0.1;
``HUBBUB_CARDS_ALLOW_PRIVATE``); ``also_allow`` lets named addresses through while the check
stays on for every other (the tests' redirect cases). Never in production.
``allow_networks`` (``Guard.allowing``, from ``HUBBUB_OUTBOUND_ALLOW``) is the operator's list of
networks that may be reached although private: a webhook receiver or a feed inside the company.

Redirects are followed for GET and HEAD only: a webhook's POST that answers 3xx is an answer
(a failure to its sender), never resent elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

MAX_REDIRECTS = 3
TOTAL_TIMEOUT_S = 5.0
MAX_BYTES = 1_000_000
USER_AGENT = "Hubbub (link preview)"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class Refused(Exception):
    """The URL may not be fetched, or its answer is not what was asked for: never retried."""


def public_address(ip: IPAddress) -> bool:
    """Whether Hubbub may connect to ``ip`` on a member's behalf."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return public_address(mapped)
        if ip.sixtofour is not None and not public_address(ip.sixtofour):
            return False  # 2002::/16 carrying a private IPv4 address
        if ip.teredo is not None:
            return False  # a tunnel to an address that cannot be checked here
        if ip.is_site_local:
            return False
    if (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified):
        return False
    return ip.is_global


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal: itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host!r}") from exc
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in found:
            found.append(ip)
    if not found:
        raise Refused(f"cannot resolve {host!r}")
    return found


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Guard:
    allow_private: bool = False
    also_allow: frozenset[IPAddress] = field(default_factory=frozenset)
    # Networks an operator allow-lists (HUBBUB_OUTBOUND_ALLOW: a partner's receiver inside the
    # company, the tests' servers on 127.0.0.1); the check stays on for every other address.
    allow_networks: tuple[IPNetwork, ...] = ()

    def allows(self, ip: IPAddress) -> bool:
        return (self.allow_private or ip in self.also_allow or public_address(ip)
                or any(ip in network for network in self.allow_networks))

    @classmethod
    def allowing(cls, networks: str) -> Guard:
        """A guard that also lets the comma-separated ``networks`` (CIDR or addresses) through;
        ValueError names a bad entry."""
        parsed: list[IPNetwork] = []
        for entry in networks.split(","):
            entry = entry.strip()
            if entry:
                try:
                    parsed.append(ipaddress.ip_network(entry, strict=False))
                except ValueError as exc:
                    raise ValueError(f"not an address or network: {entry!r}") from exc
        return cls(allow_networks=tuple(parsed))


@dataclass(frozen=True)
class Page:
    url: str  # where the body came from (after redirects)
    content_type: str  # the media type, lower case, without parameters
    charset: str | None
    body: bytes  # at most max_bytes
    cut: bool  # the body was longer than max_bytes


async def checked_address(url: httpx.URL, guard: Guard, resolver: Resolver) -> IPAddress:
    """The address to connect to for ``url``, or Refused."""
    if url.scheme not in ("http", "https"):
        raise Refused(f"scheme {url.scheme!r} is not fetched")
    host = url.host
    if not host:
        raise Refused("no host")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await resolver(host, port)
    refused = [ip for ip in addresses if not guard.allows(ip)]
    if refused:
        raise Refused(f"{host} resolves to an address that is not public ({refused[0]})")
    return addresses[0]


@dataclass(frozen=True)
class Answer:
    """What a guarded request got back (any status: the caller judges it)."""
    url: str  # the URL that answered (after the redirects followed)
    status: int
    headers: httpx.Headers
    body: bytes  # at most max_bytes
    cut: bool  # the body was longer than max_bytes and was not read to its end

    @property
    def media_type(self) -> str:
        return _content_type(self.headers.get("content-type", ""))[0]

    @property
    def charset(self) -> str | None:
        return _content_type(self.headers.get("content-type", ""))[1]


async def request(method: str, url: str, *, guard: Guard, headers: dict[str, str] | None = None,
                  content: bytes | None = None, timeout_s: float = TOTAL_TIMEOUT_S,
                  max_bytes: int = MAX_BYTES, max_redirects: int = MAX_REDIRECTS,
                  resolver: Resolver = resolve, verify: ssl.SSLContext | bool = True,
                  user_agent: str = USER_AGENT) -> Answer:
    """Send one request through the guard and read at most ``max_bytes`` of the answer.

    Redirects (of a GET or HEAD only) are followed by hand up to ``max_redirects``, each target
    checked again; ``max_redirects=0`` returns a redirect as it came (webhooks follow none).
    Refused: the URL or a redirect target is not allowed, or more redirects than allowed;
    TimeoutError past ``timeout_s`` in all (DNS, connect, headers, body); httpx.HTTPError for a
    connection that failed. The body is asked uncompressed: the size limit counts what is read,
    and a small compressed chunk could inflate to far more than the limit."""
    async with asyncio.timeout(timeout_s):
        return await _request(method.upper(), httpx.URL(url), guard, dict(headers or {}),
                              content, timeout_s, max_bytes, max_redirects, resolver, verify,
                              user_agent)


async def _request(method: str, url: httpx.URL, guard: Guard, headers: dict[str, str],
                   content: bytes | None, timeout_s: float, max_bytes: int, max_redirects: int,
                   resolver: Resolver, verify: ssl.SSLContext | bool,
                   user_agent: str) -> Answer:
    # One client per request, no pool shared across hosts: a connection is opened to an
    # address for one host name's SNI and must not serve another's.
    follows = max_redirects if method in ("GET", "HEAD") else 0
    async with httpx.AsyncClient(trust_env=False, follow_redirects=False, verify=verify,
                                 timeout=httpx.Timeout(timeout_s)) as client:
        for hop in range(follows + 1):
            ip = await checked_address(url, guard, resolver)
            pinned = url.copy_with(host=str(ip))
            sent = {"User-Agent": user_agent, "Accept-Encoding": "identity", **headers,
                    "Host": url.netloc.decode("ascii")}
            built = client.build_request(
                method, pinned, headers=sent, content=content,
                extensions={"sni_hostname": url.host} if url.scheme == "https" else {})
            response = await client.send(built, stream=True)
            try:
                if response.is_redirect and "location" in response.headers and hop < follows:
                    url = url.join(response.headers["location"])
                    continue
                if response.is_redirect and follows and hop == follows:
                    raise Refused(f"more than {max_redirects} redirects")
                if response.headers.get("content-encoding", "identity").lower() != "identity":
                    raise Refused("compressed although asked not to be")
                body = bytearray()
                cut = False
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) > max_bytes:
                        del body[max_bytes:]
                        cut = True
                        break
                return Answer(url=str(url), status=response.status_code,
                              headers=response.headers, body=bytes(body), cut=cut)
            finally:
                await response.aclose()
        raise Refused(f"more than {max_redirects} redirects")  # pragma: no cover (loop returns)


async def fetch_html(url: str, *, guard: Guard, timeout_s: float = TOTAL_TIMEOUT_S,
                     max_bytes: int = MAX_BYTES, resolver: Resolver = resolve,
                     accept: tuple[str, ...] = ("text/html", "application/xhtml+xml"),
                     verify: ssl.SSLContext | bool = True) -> Page:
    """GET ``url`` through the guard; a page of one of the ``accept`` types, or Refused
    (TimeoutError past ``timeout_s`` in all). ``verify``: how certificates are checked (the
    system's CAs; tests pass their own CA's context), always against the URL's host name."""
    answer = await request("GET", url, guard=guard, timeout_s=timeout_s, max_bytes=max_bytes,
                           resolver=resolver, verify=verify,
                           headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"})
    if answer.status != 200:
        raise Refused(f"status {answer.status}")
    if answer.media_type not in accept:
        raise Refused(f"not a page: {answer.media_type or 'no content type'}")
    return Page(url=answer.url, content_type=answer.media_type, charset=answer.charset,
                body=answer.body, cut=answer.cut)


def _content_type(value: str) -> tuple[str, str | None]:
    media_type, _, rest = value.partition(";")
    charset = None
    for part in rest.split(";"):
        key, _, v = part.strip().partition("=")
        if key.lower() == "charset" and v:
            charset = v.strip().strip('"').lower()
    return media_type.strip().lower(), charset
