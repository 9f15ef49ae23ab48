"""Rate limits shared by every gateway process, counted in Valkey, answered as Mastodon does:
``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset`` (ISO 8601) on counted requests, and past
the limit a 429 ``{"error": "Too many requests"}`` with ``Retry-After``.

What is counted (the rates are settings, Mastodon's by default):
- the API and OAuth endpoints per access token, and without one per IP; a token the gateway
  has not seen valid lately that turns out wrong (a 401: maybe a guess) counts against the IP,
  and an IP out of requests may not try unknown tokens; valid tokens never use up an IP's
  allowance (a whole office may share one address);
- sign-in (the password grant and the sign-in form) per IP, sign-up, app registration and
  confirmation resends per IP.
- failed sign-ins. From an IP: after ``lockout_after`` failures that IP is locked out, correct
  password or not, for ``lockout_base_s``, doubling with every lockout within a day, at most
  ``lockout_max_s``. On an account: past ``rate_limit_sign_in_account`` failures (from any
  IPs), only IPs that have signed in to it before may still try until the window ends. So many
  attackers' addresses together cannot go on guessing one password, and still cannot lock its
  owner out: the owner's usual addresses get in, and existing sessions keep working.

Why not a library: ``limits`` (5.x) counts with one command and reads the window with two more
(``hit`` then ``get_window_stats``: three round trips where the headers need one), opens a
client of its own (coredis unless told redis-py), and has neither lockouts nor known addresses;
Litestar's RateLimitMiddleware counts per path and client only. Here one Lua script increments
and reads the window in a single round trip on the gateway's lean Valkey connection (the
express lane's one extra command per home read: ~35 us on loopback here, against ~20 us for a
plain GET, and ~3 us to write the headers). Fixed windows that start with a key's first hit,
like Rack::Attack's periods.

Every key names one subject in a hash tag (``rl:{t:<token digest>}``, ``rl:{ip:<address>}:…``,
``rl:{a:<login digest>}:…``): the keys one script touches share a Valkey Cluster slot. IPv6
clients are counted per /64, the block one subscriber gets. A Valkey failure fails the request
(a 500, logged): limits that quietly stop counting would be worse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import msgspec
from litestar import Request, Response
from litestar.types import ASGIApp
from redis import exceptions

from services.gateway import tokens
from shared import errors
from shared.fastredis import FastRedis
from shared.settings import Settings, parse_rate

if TYPE_CHECKING:
    from services.gateway.context import Gateway

# ASGI scopes and messages as the plain dicts they are: this module builds and edits them by
# key (litestar.types describes the same shapes as TypedDicts, which take no keys of ours).
Scope = MutableMapping[str, Any]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Header = tuple[bytes, bytes]

TOO_MANY = "Too many requests"
_TOO_MANY_BODY = msgspec.json.encode({"error": TOO_MANY})
COUNTED = "hubbub.rate_limit"  # scope key: the express lane already counted this token's hit
KNOWN_ADDRESSES_S = 30 * 86400  # how long an account remembers where it signed in from
STRIKES_S = 86400  # how long an IP's lockouts are remembered (each doubles the next)

# KEYS[1] the counter, KEYS[2] (optional) a lock that refuses outright while it lives.
# Returns {count, ms until the window (or the lock) ends}; count -1 when locked.
_HIT = """
if KEYS[2] then
  local locked = redis.call('PTTL', KEYS[2])
  if locked > 0 then return {-1, locked} end
end
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
"""
# KEYS: failures, strikes, lock. ARGV: failures allowed, their window, base and max lock (ms),
# how long strikes are remembered. Returns the lock's length in ms, 0 when not locked now.
_FAILED = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n < tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
local strikes = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local ms = math.floor(math.min(tonumber(ARGV[3]) * 2 ^ (strikes - 1), tonumber(ARGV[4])))
redis.call('SET', KEYS[3], strikes, 'PX', ms)
return ms
"""
# KEYS: an account's failures, its known addresses. ARGV: failures allowed, the address.
_ACCOUNT_OPEN = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if n < tonumber(ARGV[1]) or redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then
  return {n, ttl}
end
return {-1, ttl}
"""
_SCRIPTS = {name: (source, hashlib.sha1(source.encode()).hexdigest())
            for name, source in (("hit", _HIT), ("failed", _FAILED),
                                 ("account_open", _ACCOUNT_OPEN))}


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Verdict:
    """One counted request: the limit, the count so far (-1: locked out), and when the window
    (or the lockout) ends."""

    limit: int
    count: int
    reset_ms: int

    @property
    def allowed(self) -> bool:
        return 0 <= self.count <= self.limit

    @property
    def retry_after_s(self) -> int:
        return max(1, -(-self.reset_ms // 1000))

    def headers(self) -> list[Header]:
        reset = dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=max(self.reset_ms, 0))
        remaining = max(0, self.limit - self.count) if self.allowed else 0
        found = [(b"x-ratelimit-limit", str(self.limit).encode()),
                 (b"x-ratelimit-remaining", str(remaining).encode()),
                 (b"x-ratelimit-reset", reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode())]
        if not self.allowed:
            found.append((b"retry-after", str(self.retry_after_s).encode()))
        return found


class Throttled(Exception):
    """A request over its limit: app.py answers Mastodon's 429 (``refused``)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(TOO_MANY)
        self.verdict = verdict


def address_of(host: str | None) -> str:
    """The subject counted for a client address: IPv6 per /64."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address) + "/64"
    return str(ip)


def _login_digest(login: str) -> str:
    return tokens.digest(login.strip().lower())[:32]


class RateLimits:
    """The gateway's counters in Valkey (through its lean connection: one command each)."""

    def __init__(self, settings: Settings, redis: FastRedis) -> None:
        self.on = settings.rate_limits
        self.redis = redis
        self.api = parse_rate(settings.rate_limit_api)
        self.anonymous = parse_rate(settings.rate_limit_anonymous)
        self.sign_in_ip = parse_rate(settings.rate_limit_sign_in_ip)
        self.sign_in_account = parse_rate(settings.rate_limit_sign_in_account)
        self.sign_up = parse_rate(settings.rate_limit_sign_up)
        self.apps = parse_rate(settings.rate_limit_apps)
        self.confirmations = parse_rate(settings.rate_limit_confirmations)
        self.incoming_webhook = parse_rate(settings.rate_limit_incoming_webhook)
        self.lockout = (settings.lockout_after, int(settings.lockout_base_s * 1000),
                        int(settings.lockout_max_s * 1000))

    async def _run(self, commands: Sequence[tuple[str, Sequence[str], Sequence[Any]]]
                   ) -> list[Any]:
        """Scripts by name, keys and arguments, in one write. One alone goes by its digest
        (EVALSHA, then the source after a Valkey restart: NOSCRIPT means it did not run);
        several go with their source, or a retry would run again those that did."""
        if len(commands) == 1:
            [(name, keys, args)] = commands
            try:
                return [await self.redis.execute_command(
                    "EVALSHA", _SCRIPTS[name][1], len(keys), *keys, *args)]
            except exceptions.ResponseError as error:
                if "NOSCRIPT" not in str(error):
                    raise
        return await self.redis.execute_many([
            ("EVAL", _SCRIPTS[name][0], len(keys), *keys, *args)
            for name, keys, args in commands])

    @staticmethod
    def _verdict(rate: tuple[int, int], reply: Sequence[int]) -> Verdict:
        return Verdict(limit=rate[0], count=int(reply[0]), reset_ms=int(reply[1]))

    # --- the API -----------------------------------------------------------------------------

    async def token_hit(self, token_digest: str) -> Verdict:
        [reply] = await self._run([("hit", [f"rl:{{t:{token_digest}}}"],
                                    [self.api[1] * 1000])])
        return self._verdict(self.api, reply)

    async def anonymous_hit(self, host: str | None) -> Verdict:
        return await self.per_ip(host, "anonymous", self.anonymous)

    async def anonymous_peek(self, host: str | None) -> Verdict:
        """Whether the address has anonymous requests left, without counting one."""
        key = f"rl:{{ip:{address_of(host)}}}:anonymous"
        count, ttl = await self.redis.execute_many([("GET", key), ("PTTL", key)])
        return Verdict(limit=self.anonymous[0], count=int(count or 0) + 1, reset_ms=int(ttl))

    async def per_ip(self, host: str | None, action: str, rate: tuple[int, int]) -> Verdict:
        """One more ``action`` (sign_up, apps, confirmations…) from this client address."""
        [reply] = await self._run([("hit", [f"rl:{{ip:{address_of(host)}}}:{action}"],
                                    [rate[1] * 1000])])
        return self._verdict(rate, reply)

    async def take(self, host: str | None, action: str) -> None:
        """One ``action`` from this address ("sign_up", "apps", "confirmations", with the rate
        of that name), or Throttled."""
        if not self.on:
            return
        verdict = await self.per_ip(host, action, getattr(self, action))
        if not verdict.allowed:
            raise Throttled(verdict)

    async def hook_hit(self, hook_digest: str) -> None:
        """One post to an incoming webhook (named by its token's digest), or Throttled: a
        partner's loop cannot flood a community, whatever addresses it posts from."""
        if not self.on:
            return
        [reply] = await self._run([("hit", [f"rl:{{h:{hook_digest[:32]}}}"],
                                    [self.incoming_webhook[1] * 1000])])
        verdict = self._verdict(self.incoming_webhook, reply)
        if not verdict.allowed:
            raise Throttled(verdict)

    # --- signing in ----------------------------------------------------------------------------

    async def sign_in(self, host: str | None, login: str,
                      check: Callable[[], Awaitable[T]]) -> T:
        """``check`` (the password's), unless this address or account may not try now
        (Throttled); its outcome counted. A failed check raises errors.Unauthorized."""
        if not self.on:
            return await check()
        verdict = await self.sign_in_attempt(host, login)
        if not verdict.allowed:
            raise Throttled(verdict)
        try:
            found = await check()
        except errors.Unauthorized:
            await self.signed_in(host, login, ok=False)
            raise
        await self.signed_in(host, login, ok=True)
        return found

    async def sign_in_attempt(self, host: str | None, login: str) -> Verdict:
        """Counts an attempt from this address; the refusal if the address is locked out or
        over its rate, or the account is closed to this address."""
        ip, account = address_of(host), _login_digest(login)
        by_ip, by_account = await self._run([
            ("hit", [f"rl:{{ip:{ip}}}:sign_in", f"rl:{{ip:{ip}}}:locked"],
             [self.sign_in_ip[1] * 1000]),
            ("account_open", [f"rl:{{a:{account}}}:failed", f"rl:{{a:{account}}}:known"],
             [self.sign_in_account[0], ip])])
        verdict = self._verdict(self.sign_in_ip, by_ip)
        if verdict.allowed and int(by_account[0]) < 0:
            return Verdict(limit=self.sign_in_account[0], count=-1, reset_ms=int(by_account[1]))
        return verdict

    async def signed_in(self, host: str | None, login: str, *, ok: bool) -> None:
        """The attempt's outcome: a success makes the address known to the account, a failure
        counts against the address (towards its lockout) and the account."""
        ip, account = address_of(host), _login_digest(login)
        if ok:
            known = f"rl:{{a:{account}}}:known"
            await self.redis.execute_many([("SADD", known, ip),
                                           ("EXPIRE", known, KNOWN_ADDRESSES_S)])
            return
        after, base_ms, max_ms = self.lockout
        await self._run([
            ("failed", [f"rl:{{ip:{ip}}}:failed", f"rl:{{ip:{ip}}}:strikes",
                        f"rl:{{ip:{ip}}}:locked"], [after, max_ms, base_ms, max_ms,
                                                    STRIKES_S * 1000]),
            ("hit", [f"rl:{{a:{account}}}:failed"], [self.sign_in_account[1] * 1000])])


def refused(request: Request[Any, Any, Any], exc: Throttled) -> Response[bytes]:
    """Mastodon's 429 (app.py's handler of Throttled)."""
    verdict = exc.verdict
    return Response(content=_TOO_MANY_BODY, status_code=429, media_type="application/json",
                    headers={k.decode(): v.decode() for k, v in verdict.headers()})


async def send_refusal(send: Send, verdict: Verdict, extra: Sequence[Header] = ()) -> None:
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_TOO_MANY_BODY)).encode()), *verdict.headers(), *extra]})
    await send({"type": "http.response.body", "body": _TOO_MANY_BODY})


def with_headers(send: Send, verdict: Verdict) -> Send:
    """``send`` that adds the verdict's headers to the response."""
    async def sending(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            # A route's own refusal (Throttled: sign-in, sign-up…) shows its own numbers.
            if not any(name == b"x-ratelimit-limit" for name, _ in headers):
                message["headers"] = [*headers, *verdict.headers()]
        await send(message)
    return sending


def host_of(request: Request[Any, Any, Any]) -> str | None:
    """The client's address (the real one behind trusted proxies: proxies.py)."""
    return request.client.host if request.client else None


def bearer_digest(scope: Scope) -> str | None:
    """The digest of the request's bearer token, if it names one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            header = value.decode("latin-1")
            if header[:7].lower() == "bearer " and header[7:].strip():
                return tokens.digest(header[7:].strip())
    return None


FEED_SUFFIXES = (".atom", ".rss", ".json")
FEED_PREFIXES = ("/@", "/tags/", "/communities/")


def counted_path(path: str) -> bool:
    """The API, the OAuth endpoints, discovery (WebFinger answers whether a username exists)
    and public feeds (``/@name.atom``...: anonymous readers, counted per IP as the API's);
    not health checks, metrics or the web client's files."""
    return (path.startswith(("/api/", "/oauth/", "/.well-known/"))
            or (path.endswith(FEED_SUFFIXES) and path.startswith(FEED_PREFIXES)))


class ApiLimits:
    """ASGI middleware (behind the trusted-proxy one, so the client address is the real one):
    every API and OAuth request counted per token, or per IP without a known token."""

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app = cast("Callable[[Scope, Any, Send], Awaitable[None]]", app)
        self.gw = gateway

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        gw = self.gw
        if (scope["type"] != "http" or not gw.ready or not gw.rate_limits.on
                or not counted_path(scope["path"])):
            return await self.app(scope, receive, send)
        limits = gw.rate_limits
        client = scope.get("client")
        host = client[0] if client else None
        digest = bearer_digest(scope)
        if digest is None:
            verdict = await limits.anonymous_hit(host)
        else:
            verdict = scope.get(COUNTED) or await limits.token_hit(digest)
            if verdict.allowed and gw.tokens.get(digest) is None:
                # A token not seen valid lately: maybe a guess. Guesses (401s) count against
                # the address, and an address out of guesses is refused; valid tokens never
                # use up the address's allowance (a whole office may share one).
                by_ip = await limits.anonymous_peek(host)
                if not by_ip.allowed:
                    return await send_refusal(send, by_ip)
                send = _counting_refusals(send, limits, host)
        if not verdict.allowed:
            return await send_refusal(send, verdict)
        await self.app(scope, receive, with_headers(send, verdict))


def _counting_refusals(send: Send, limits: RateLimits, host: str | None) -> Send:
    """``send`` that counts a 401 against the client's address."""
    async def sending(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] == 401:
            await limits.anonymous_hit(host)
        await send(message)
    return sending
