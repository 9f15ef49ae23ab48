"""The gateway as an OpenID Connect relying party: the provider's discovery document, the
authorization request (code flow, PKCE S256, ``state`` and ``nonce``), the code exchange and the
ID token's verification.

Every token check is joserfc's (a maintained JOSE library), never hand-written: the signature
against the provider's JWKS, then ``iss``, ``aud`` (and ``azp`` when there are several
audiences), ``exp``/``iat`` with a small leeway, and the ``nonce`` this sign-in sent. Every call
to the provider has a time limit and a size limit; anything it answers that is not what the
protocol says becomes a ``ProviderError``, which the pages show as a clear error, never a 500.

Where the issuer URL comes from: a network admin typed it. Only ``https`` is fetched unless the
operator allows plain ``http`` (a local trial, the tests), and redirects are never followed.
TODO(#14, DESIGN "Trust"): route these fetches through the shared SSRF guard once it exists
(resolved addresses checked at each request)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

TIMEOUT = httpx.Timeout(5.0)
MAX_RESPONSE_BYTES = 512 * 1024
LEEWAY_S = 30  # clock skew between the provider and us
# Asymmetric signatures only: "none" and HMAC (keyed with the client secret) are refused.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA"]
SCOPES = "openid email profile"


class ProviderError(Exception):
    """The provider could not be reached, or answered something that is not OpenID Connect:
    a message for the person or the admin."""


class TokenRejected(Exception):
    """The ID token failed a check: someone may be forging or replaying a sign-in."""


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    client_secret_post: bool  # the provider takes the secret in the body, not basic auth


def issuer_problem(issuer: str, allow_http: bool) -> str | None:
    """Why this issuer URL is not acceptable, or None."""
    if len(issuer) > 500:
        return "is too long (at most 500 characters)"
    parts = urlsplit(issuer)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        return "must be an https URL" if not allow_http else "must be an http(s) URL"
    if parts.query or parts.fragment or parts.username or parts.password:
        return "must have no query, fragment or credentials"
    return None


def _endpoint(document: dict[str, Any], name: str, allow_http: bool) -> str:
    value = document.get(name)
    if not isinstance(value, str) or issuer_problem(value.split("?")[0], allow_http):
        raise ProviderError(f"The provider's discovery document has no valid {name}.")
    return value


async def _get_json(client: httpx.AsyncClient, method: str, url: str, what: str,
                    **kwargs: Any) -> dict[str, Any]:
    try:
        async with client.stream(method, url, timeout=TIMEOUT, follow_redirects=False,
                                 **kwargs) as response:
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise ProviderError(f"The identity provider's {what} is too large.")
    except httpx.HTTPError as exc:
        raise ProviderError(f"The identity provider could not be reached ({what}: "
                            f"{type(exc).__name__}).") from exc
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if response.status_code != 200 or not isinstance(document, dict):
        raise ProviderError(f"The identity provider's {what} is not valid (HTTP "
                            f"{response.status_code}).")
    return document


async def discover(client: httpx.AsyncClient, issuer: str, *, allow_http: bool) -> Discovery:
    """``{issuer}/.well-known/openid-configuration``, checked (OpenID Connect Discovery 4.3:
    its ``issuer`` must be exactly the one configured)."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = await _get_json(client, "GET", url, "discovery document")
    if document.get("issuer") != issuer:
        raise ProviderError("The provider's discovery document names another issuer "
                            f"({str(document.get('issuer'))[:200]!r}): use exactly that URL.")
    methods = document.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise ProviderError("The provider does not support PKCE with S256.")
    auth_methods = document.get("token_endpoint_auth_methods_supported") or [
        "client_secret_basic"]
    return Discovery(
        issuer=issuer,
        authorization_endpoint=_endpoint(document, "authorization_endpoint", allow_http),
        token_endpoint=_endpoint(document, "token_endpoint", allow_http),
        jwks_uri=_endpoint(document, "jwks_uri", allow_http),
        client_secret_post=("client_secret_basic" not in auth_methods
                            and "client_secret_post" in auth_methods))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Attempt:
    """One sign-in's secrets: ``state`` (the key it is kept under), ``nonce`` (bound into the
    ID token) and the PKCE verifier. Random, single-use, never shown to the provider except
    as the protocol says."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> Attempt:
        return cls(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                   verifier=secrets.token_urlsafe(48))

    def authorization_url(self, discovery: Discovery, client_id: str, redirect_uri: str,
                          login_hint: str = "") -> str:
        challenge = _b64(hashlib.sha256(self.verifier.encode()).digest())
        query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
                 "scope": SCOPES, "state": self.state, "nonce": self.nonce,
                 "code_challenge": challenge, "code_challenge_method": "S256"}
        if login_hint:
            query["login_hint"] = login_hint
        sep = "&" if "?" in discovery.authorization_endpoint else "?"
        return f"{discovery.authorization_endpoint}{sep}{urlencode(query)}"


async def exchange_code(client: httpx.AsyncClient, discovery: Discovery, *, client_id: str,
                        client_secret: str, code: str, verifier: str,
                        redirect_uri: str) -> str:
    """The ID token for this code (RFC 6749 4.1.3, PKCE's verifier)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier}
    auth: httpx.BasicAuth | None = None
    if discovery.client_secret_post:
        form.update(client_id=client_id, client_secret=client_secret)
    else:
        # RFC 6749 2.3.1: the credentials are form-urlencoded before basic auth.
        auth = httpx.BasicAuth(_form_encode(client_id), _form_encode(client_secret))
    reply = await _get_json(client, "POST", discovery.token_endpoint, "token response",
                            data=form, auth=auth, headers={"Accept": "application/json"})
    id_token = reply.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise ProviderError("The identity provider did not return an ID token.")
    return id_token


def _form_encode(value: str) -> str:
    return urlencode({"": value})[1:]


async def fetch_keys(client: httpx.AsyncClient, discovery: Discovery) -> KeySet:
    document = await _get_json(client, "GET", discovery.jwks_uri, "key set (JWKS)")
    try:
        return KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ProviderError("The identity provider's key set (JWKS) is not valid.") from exc


def verify_id_token(id_token: str, keys: KeySet, *, issuer: str, client_id: str, nonce: str,
                    now: float | None = None) -> dict[str, Any]:
    """The ID token's claims, once joserfc has checked its signature and every claim the
    OpenID Connect core spec (3.1.3.7) asks a client to check."""
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        registry = jwt.JWTClaimsRegistry(
            now=int(now if now is not None else time.time()), leeway=LEEWAY_S,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        registry.validate(token.claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise TokenRejected(type(exc).__name__) from exc
    claims = dict(token.claims)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise TokenRejected("azp")
    if "azp" in claims and claims["azp"] != client_id:
        raise TokenRejected("azp")
    if not isinstance(claims.get("sub"), str) or len(claims["sub"]) > 255:
        raise TokenRejected("sub")
    return claims
