"""Signing in with a network's identity provider (OpenID Connect), between the sign-in page and
the app's code: ``start`` finds the provider of the address's domain and sends the browser
there; ``finish`` takes the provider's answer back to an account.

A sign-in under way is kept in Valkey under ``sso:{state}`` for ``PENDING_TTL``, with its nonce,
its PKCE verifier, the digest of a random cookie set on this browser, and the app's pending
authorize request (its OAuth parameters), so that the callback goes on exactly where a password
sign-in would have. It is taken with GETDEL: a ``state`` is good once, and an unknown, expired
or replayed one finds nothing. The cookie binds the answer to the browser that asked: a callback
URL opened in another browser (a leaked link, login CSRF) finds no matching cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import redis.asyncio as redis
from litestar.datastructures import Cookie

from services.gateway import oidc
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts.sso import FindProvider, Provider, SsoSignIn
from shared.records import AccountRecord

PENDING_TTL_S = 600
COOKIE = "hubbub_sso"
CALLBACK_PATH = "/auth/sso/callback"


class SignInProblem(Exception):
    """Shown on the error page with this status; nothing was written."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Pending(msgspec.Struct, frozen=True, kw_only=True):
    network_id: int
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    client_secret_post: bool
    nonce: str
    verifier: str
    browser_digest: str  # SHA-256 of the cookie's value
    authorize_fields: dict[str, str]  # the app's OAuth parameters, checked again at the end

    def discovery(self) -> oidc.Discovery:
        return oidc.Discovery(issuer=self.issuer,
                              authorization_endpoint=self.authorization_endpoint,
                              token_endpoint=self.token_endpoint, jwks_uri=self.jwks_uri,
                              client_secret_post=self.client_secret_post)


def _key(state: str) -> str:
    return f"sso:{state}"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def domain_of(email: str) -> str | None:
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or "." not in domain or len(domain) > 253:
        return None
    return domain.lower()


@dataclass(frozen=True)
class Started:
    location: str  # the provider's authorization URL
    cookie: Cookie


async def provider_for(nc: Any, email: str) -> Provider | None:
    domain = domain_of(email)
    if domain is None:
        return None
    try:
        return await bus.call(nc, graph_api.SSO_PROVIDER, FindProvider(domain=domain))
    except errors.NotFound:
        return None


async def start(nc: Any, cache: redis.Redis, provider: Provider, *, base_url: str,
                authorize_fields: dict[str, str], email: str, allow_http: bool,
                secure: bool) -> Started:
    async with httpx.AsyncClient() as client:
        try:
            discovery = await oidc.discover(client, provider.issuer, allow_http=allow_http)
        except oidc.ProviderError as exc:
            raise SignInProblem(f"{provider.display_name} cannot be reached right now: "
                                f"{exc} Try again later.", 502) from exc
    attempt = oidc.Attempt.new()
    browser = secrets.token_urlsafe(32)
    pending = Pending(network_id=provider.network_id, issuer=discovery.issuer,
                      authorization_endpoint=discovery.authorization_endpoint,
                      token_endpoint=discovery.token_endpoint, jwks_uri=discovery.jwks_uri,
                      client_secret_post=discovery.client_secret_post, nonce=attempt.nonce,
                      verifier=attempt.verifier, browser_digest=_digest(browser),
                      authorize_fields=authorize_fields)
    await cache.set(_key(attempt.state), msgspec.json.encode(pending), ex=PENDING_TTL_S)
    location = attempt.authorization_url(discovery, provider.client_id,
                                         base_url + CALLBACK_PATH, login_hint=email)
    # SameSite=Lax: the provider's redirect back is a top-level GET, which Lax lets through.
    cookie = Cookie(key=COOKIE, value=browser, path="/auth/sso", max_age=PENDING_TTL_S,
                    httponly=True, secure=secure, samesite="lax")
    return Started(location=location, cookie=cookie)


async def take_pending(cache: redis.Redis, state: str, browser: str | None) -> Pending:
    """The sign-in this callback answers, once; else ``SignInProblem``."""
    if not state or len(state) > 100:
        raise SignInProblem("This sign-in link is not valid. Start again from the app.", 400)
    raw = await cache.getdel(_key(state))
    if raw is None:
        raise SignInProblem("This sign-in has expired or was already used. Start again from "
                            "the app.", 400)
    pending = msgspec.json.decode(raw, type=Pending)
    if not browser or not hmac.compare_digest(_digest(browser), pending.browser_digest):
        raise SignInProblem("This sign-in was started in another browser. Start again from "
                            "the app, in this browser.", 400)
    return pending


def _verified_flag(value: object) -> bool | None:
    """``email_verified`` as a bool; some providers send the strings "true"/"false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None if value is None else False


async def finish(nc: Any, pending: Pending, *, code: str, base_url: str,
                 allow_http: bool) -> AccountRecord:
    """The account the provider's code stands for, after every check."""
    try:
        provider = await bus.call(nc, graph_api.SSO_PROVIDER,
                                  FindProvider(network_id=pending.network_id))
    except errors.NotFound as exc:
        raise SignInProblem("This organisation's sign-in was turned off meanwhile.", 400) from exc
    if provider.issuer != pending.issuer:
        raise SignInProblem("This organisation's sign-in changed meanwhile. Start again.", 400)
    if not code or len(code) > 2000:
        raise SignInProblem("The organisation's sign-in sent no code back.", 400)
    discovery = pending.discovery()
    async with httpx.AsyncClient() as client:
        try:
            id_token = await oidc.exchange_code(
                client, discovery, client_id=provider.client_id,
                client_secret=provider.client_secret, code=code, verifier=pending.verifier,
                redirect_uri=base_url + CALLBACK_PATH)
            keys = await oidc.fetch_keys(client, discovery)
        except oidc.ProviderError as exc:
            raise SignInProblem(f"{provider.display_name} did not complete the sign-in: {exc}",
                                502) from exc
    try:
        claims = oidc.verify_id_token(id_token, keys, issuer=provider.issuer,
                                      client_id=provider.client_id, nonce=pending.nonce)
    except oidc.TokenRejected as exc:
        raise SignInProblem(f"The sign-in from {provider.display_name} could not be verified "
                            "(its ID token failed a check), so Hubbub did not sign you in.",
                            400) from exc
    email = claims.get(provider.email_claim)
    name, username = claims.get("name"), claims.get("preferred_username")
    try:
        return await bus.call(nc, graph_api.SSO_SIGN_IN, SsoSignIn(
            network_id=provider.network_id, issuer=provider.issuer, subject=claims["sub"],
            email=email if isinstance(email, str) else None,
            email_verified=_verified_flag(claims.get("email_verified")),
            username=username if isinstance(username, str) else None,
            display_name=name if isinstance(name, str) else None), timeout=10)
    except errors.HubbubError as exc:
        if isinstance(exc, errors.Unavailable):
            raise
        raise SignInProblem(exc.message, exc.http_status) from exc
