"""OAuth 2 authorization-code flow with PKCE: the gateway's own sign-in, sign-up and consent pages
(``GET``/``POST /oauth/authorize``, ``/oauth/sign_up``), and the codes they hand out, which the
token endpoint exchanges (see ``exchange_code``).

The pages are server-rendered HTML with every value escaped. They keep no session: the e-mail and
password come with the consent, and the OAuth parameters travel in hidden fields and are checked
again on every POST. Forms carry a token derived from a random, HttpOnly, SameSite=Strict cookie
(a per-form double submit), so another site cannot post them.

Errors follow RFC 6749 4.1.2.1: an unknown client or a redirect URI the app did not register is
shown on a page, never redirected to (no open redirect); anything else goes back to the client
as ``error=`` with its ``state``."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import asyncpg
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie

from services.gateway import tokens
from services.gateway.context import Gateway, gateway_of
from services.gateway.routes.web import asset_url
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.records import AccountRecord

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_TTL = dt.timedelta(minutes=10)
CSRF_COOKIE = "hubbub_oauth"
CSRF_MAX_AGE = 3600
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
OAUTH_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state",
                "code_challenge", "code_challenge_method")
SCOPE_TEXT = {
    "read": "Read your timelines, profile, notifications and communities",
    "write": "Post, edit and delete, favourite, boost and bookmark for you",
    "follow": "Follow and unfollow people and hashtags for you",
    "push": "Send you notifications",
    "profile": "See your profile",
}


# --- the codes ----------------------------------------------------------------------------------

def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"=").decode()


async def issue_code(pool: asyncpg.Pool, *, app_id: int, account_id: int, redirect_uri: str,
                     scopes: str, code_challenge: str | None) -> str:
    code = secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO authorization_codes (code_hash, app_id, account_id, redirect_uri, scopes, "
        "code_challenge, expires_at) VALUES ($1, $2, $3, $4, $5, $6, now() + $7::interval)",
        _digest(code), app_id, account_id, redirect_uri, scopes, code_challenge, CODE_TTL)
    return code


@dataclass(frozen=True)
class Grant:
    account_id: int
    scopes: str


class InvalidGrant(Exception):
    """The code is unknown, used, expired, another client's, or its verifier does not match."""


async def redeem_code(pool: asyncpg.Pool, *, app_id: int, code: str | None,
                      redirect_uri: str | None, code_verifier: str | None,
                      on_revoked: Callable[[str], Awaitable[None]] | None = None) -> Grant:
    """Check a code for the token endpoint and mark it used: it works once. Every failure is
    the same ``invalid_grant``, so the answer does not tell an attacker which check failed."""
    if not code:
        raise InvalidGrant("code is required")
    row = await pool.fetchrow(
        "SELECT app_id, account_id, redirect_uri, scopes, code_challenge, used_at, token_hash, "
        "expires_at <= now() AS expired FROM authorization_codes WHERE code_hash = $1",
        _digest(code))
    if row is None or row["app_id"] != app_id or row["redirect_uri"] != (redirect_uri or ""):
        raise InvalidGrant("unknown code")
    if row["used_at"] is not None:
        # A replayed code may have been stolen: the token it bought goes too (RFC 6749 4.1.2).
        if row["token_hash"]:
            await pool.execute("UPDATE tokens SET revoked_at = now() WHERE token_hash = $1 "
                               "AND revoked_at IS NULL", row["token_hash"])
            if on_revoked is not None:
                await on_revoked(row["token_hash"])
        raise InvalidGrant("code already used")
    if row["expired"]:
        raise InvalidGrant("code expired")
    if row["code_challenge"] is not None and not (
            code_verifier and hmac.compare_digest(s256(code_verifier), row["code_challenge"])):
        raise InvalidGrant("code_verifier does not match")
    claimed = await pool.fetchval(
        "UPDATE authorization_codes SET used_at = now() WHERE code_hash = $1 "
        "AND used_at IS NULL RETURNING account_id", _digest(code))
    if claimed is None:
        raise InvalidGrant("code already used")  # a concurrent exchange won
    return Grant(account_id=row["account_id"], scopes=row["scopes"])


async def remember_token(pool: asyncpg.Pool, code: str, token: str) -> None:
    await pool.execute("UPDATE authorization_codes SET token_hash = $2 WHERE code_hash = $1",
                       _digest(code), tokens.digest(token))


# --- checking the request -----------------------------------------------------------------------

@dataclass(frozen=True)
class AuthRequest:
    app: tokens.App
    redirect_uri: str
    scopes: str
    state: str
    code_challenge: str | None
    fields: dict[str, str]  # the OAuth parameters as received, for the hidden fields and links


class PageError(Exception):
    """Shown on a page: the client or its redirect URI cannot be trusted."""


class RedirectError(Exception):
    """Sent back to the client's redirect URI as ``error=``."""

    def __init__(self, request: AuthRequest, error: str, description: str) -> None:
        super().__init__(description)
        self.request = request
        self.error = error
        self.description = description


async def _app(pool: asyncpg.Pool, client_id: str) -> tokens.App | None:
    row = await pool.fetchrow("SELECT id, name, website, redirect_uris, scopes, client_id "
                              "FROM apps WHERE client_id = $1", client_id)
    return tokens.App(**dict(row)) if row else None


async def check(gw: Gateway, fields: dict[str, str]) -> AuthRequest:
    assert gw.pool is not None
    client_id = fields.get("client_id", "")
    app = await _app(gw.pool, client_id) if client_id else None
    if app is None:
        raise PageError("This app is not known to Hubbub (unknown client_id). Ask its maker "
                        "to register it again.")
    registered = app.redirect_uris.split()
    redirect_uri = fields.get("redirect_uri") or (registered[0] if len(registered) == 1 else "")
    if redirect_uri not in registered:
        raise PageError("The redirect URI does not match one this app registered, so Hubbub "
                        "will not send you there.")
    challenge = fields.get("code_challenge") or None
    request = AuthRequest(app=app, redirect_uri=redirect_uri, scopes=app.scopes,
                          state=fields.get("state", ""), code_challenge=challenge,
                          fields={**fields, "redirect_uri": redirect_uri})
    if fields.get("response_type") != "code":
        raise RedirectError(request, "unsupported_response_type",
                            "Only response_type=code is supported")
    try:
        scopes = tokens.parse_scopes(fields.get("scope") or app.scopes, allowed=app.scopes)
    except errors.Invalid as exc:
        raise RedirectError(request, "invalid_scope", exc.message) from exc
    method = fields.get("code_challenge_method") or ""
    if challenge is None and method:
        raise RedirectError(request, "invalid_request", "code_challenge is missing")
    if challenge is not None and (method != "S256" or not S256_CHALLENGE.match(challenge)):
        raise RedirectError(request, "invalid_request",
                            "code_challenge_method must be S256, with a 43-character challenge")
    return AuthRequest(app=app, redirect_uri=redirect_uri, scopes=scopes, state=request.state,
                       code_challenge=challenge, fields=request.fields)


def back_to_client(auth: AuthRequest, params: dict[str, str]) -> Response:
    if auth.redirect_uri == OOB:  # nowhere to send it: say it on the page
        if "code" in params:
            return code_page(auth, params["code"])
        return error_page(params.get("error_description") or params.get("error", "Refused"))
    if auth.state:
        params = {**params, "state": auth.state}
    sep = "&" if "?" in auth.redirect_uri else "?"
    return Response(content=b"", status_code=303, headers={
        "Location": f"{auth.redirect_uri}{sep}{urlencode(params)}", **NO_STORE})


# --- CSRF ---------------------------------------------------------------------------------------

def _form_token(secret: str, form: str) -> str:
    return hmac.new(secret.encode(), form.encode(), hashlib.sha256).hexdigest()


def csrf_secret(request: Request) -> str:
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if re.fullmatch(r"[A-Za-z0-9_-]{32,64}", current) else secrets.token_urlsafe(32)


def csrf_ok(request: Request, form: str, submitted: str) -> bool:
    secret = request.cookies.get(CSRF_COOKIE, "")
    if not secret or not submitted:
        return False
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        return False
    return hmac.compare_digest(_form_token(secret, form), submitted)


# --- pages --------------------------------------------------------------------------------------

def _headers() -> dict[str, str]:
    return {**NO_STORE, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            # No form-action: the consent form redirects to the app, wherever it lives.
            "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                                       "frame-ancestors 'none'; base-uri 'none'"}


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, body: str, *, status: int = 200, secret: str | None = None,
         secure: bool = False) -> Response:
    document = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{e(title)} · Hubbub</title>
<link rel="icon" href="{e(asset_url('icon.svg'))}" type="image/svg+xml">
<link rel="stylesheet" href="{e(asset_url('base.css'))}">
<link rel="stylesheet" href="{e(asset_url('auth.css'))}">
</head>
<body class="auth">
<main class="auth-card">
<p class="auth-brand"><img src="{e(asset_url('icon.svg'))}" alt="" width="32" height="32">
<span>Hubbub</span></p>
{body}
</main>
</body>
</html>
"""
    cookies = []
    if secret is not None:
        cookies.append(Cookie(key=CSRF_COOKIE, value=secret, path="/oauth", httponly=True,
                              samesite="strict", secure=secure, max_age=CSRF_MAX_AGE))
    return Response(content=document.encode(), status_code=status,
                    media_type="text/html", headers=_headers(), cookies=cookies)


def error_page(message: str, status: int = 400) -> Response:
    return page("Sign-in problem", f"""<h1>This sign-in link does not work</h1>
<p class="auth-error" role="alert">{e(message)}</p>
<p><a href="/">Go to Hubbub</a></p>""", status=status)


def _hidden(auth: AuthRequest) -> str:
    return "\n".join(f'<input type="hidden" name="{name}" value="{e(auth.fields.get(name, ""))}">'
                     for name in OAUTH_FIELDS if auth.fields.get(name))


def _query(auth: AuthRequest, **extra: str) -> str:
    values = {k: auth.fields[k] for k in OAUTH_FIELDS if auth.fields.get(k)}
    return urlencode({**values, **{k: v for k, v in extra.items() if v}})


def _scopes_list(scopes: str) -> str:
    shown = dict.fromkeys(SCOPE_TEXT.get(s.split(":")[0], s) for s in scopes.split())
    return "".join(f"<li>{e(text)}</li>" for text in shown)


def _error_box(error: str | None) -> str:
    return f'<p class="auth-error" role="alert" id="form-error">{e(error)}</p>' if error else ""


def login_page(request: Request, auth: AuthRequest, *, error: str | None = None,
               login: str = "", status: int = 200) -> Response:
    secret = csrf_secret(request)
    described = ' aria-describedby="form-error" aria-invalid="true"' if error else ""
    body = f"""<h1>Sign in</h1>
<p class="auth-lead">to continue to <strong>{e(auth.app.name)}</strong></p>
{_error_box(error)}
<form method="post" action="/oauth/authorize" class="auth-form">
<input type="hidden" name="csrf" value="{e(_form_token(secret, 'authorize'))}">
{_hidden(auth)}
<label for="login">E-mail or username</label>
<input id="login" name="login" type="text" value="{e(login)}" autocomplete="username"
 autocapitalize="none" spellcheck="false" required autofocus{described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"
 required{described}>
<section class="auth-consent" aria-labelledby="consent-title">
<h2 id="consent-title">{e(auth.app.name)} will be able to</h2>
<ul>{_scopes_list(auth.scopes)}</ul>
</section>
<div class="auth-actions">
<button type="submit" name="decision" value="allow" class="button primary">Sign in and allow
</button>
<button type="submit" name="decision" value="deny" class="button" formnovalidate>Cancel</button>
</div>
</form>
<p class="auth-switch">New to Hubbub?
<a href="/oauth/sign_up?{e(_query(auth))}">Create an account</a></p>"""
    return page("Sign in", body, status=status, secret=secret,
                secure=request.url.scheme == "https")


def signup_page(request: Request, auth: AuthRequest, *, error: str | None = None,
                values: dict[str, str] | None = None, status: int = 200) -> Response:
    secret = csrf_secret(request)
    v = values or {}
    body = f"""<h1>Create your account</h1>
<p class="auth-lead">and continue to <strong>{e(auth.app.name)}</strong>. Your work e-mail
puts you in your company's network.</p>
{_error_box(error)}
<form method="post" action="/oauth/sign_up" class="auth-form">
<input type="hidden" name="csrf" value="{e(_form_token(secret, 'sign_up'))}">
{_hidden(auth)}
<label for="display_name">Name</label>
<input id="display_name" name="display_name" type="text" value="{e(v.get('display_name', ''))}"
 autocomplete="name" maxlength="100">
<label for="username">Username</label>
<input id="username" name="username" type="text" value="{e(v.get('username', ''))}"
 autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="30"
 pattern="[A-Za-z0-9_]+" aria-describedby="username-hint">
<p class="auth-hint" id="username-hint">Letters, digits and underscores; people mention you as
@username.</p>
<label for="email">Work e-mail</label>
<input id="email" name="email" type="email" value="{e(v.get('email', ''))}" autocomplete="email"
 required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required
 minlength="8" aria-describedby="password-hint">
<p class="auth-hint" id="password-hint">At least 8 characters.</p>
<label for="invite_code">Invitation code <span class="auth-optional">(optional)</span></label>
<input id="invite_code" name="invite_code" type="text" value="{e(v.get('invite_code', ''))}"
 autocomplete="off" spellcheck="false">
<section class="auth-consent" aria-labelledby="consent-title">
<h2 id="consent-title">{e(auth.app.name)} will be able to</h2>
<ul>{_scopes_list(auth.scopes)}</ul>
</section>
<div class="auth-actions">
<button type="submit" class="button primary">Create account</button>
</div>
</form>
<p class="auth-switch">Already have an account?
<a href="/oauth/authorize?{e(_query(auth))}">Sign in</a></p>"""
    return page("Create account", body, status=status, secret=secret,
                secure=request.url.scheme == "https")


def code_page(auth: AuthRequest, code: str) -> Response:
    return page("Authorization code", f"""<h1>Almost there</h1>
<p class="auth-lead">Copy this code into <strong>{e(auth.app.name)}</strong>:</p>
<p><output class="auth-code" aria-label="Authorization code">{e(code)}</output></p>
<p class="auth-hint">It works once, for the next {int(CODE_TTL.total_seconds() // 60)}
minutes.</p>""")


async def grant(gw: Gateway, auth: AuthRequest, account: AccountRecord) -> Response:
    assert gw.pool is not None
    code = await issue_code(gw.pool, app_id=auth.app.id, account_id=account.id,
                            redirect_uri=auth.redirect_uri, scopes=auth.scopes,
                            code_challenge=auth.code_challenge)
    return back_to_client(auth, {"code": code})


def _sentence(message: str) -> str:
    message = message.removeprefix("Validation failed: ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


# --- routes -------------------------------------------------------------------------------------

def _fields(source: Any) -> dict[str, str]:
    return {name: str(source.get(name) or "") for name in OAUTH_FIELDS}


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def checked(gw: Gateway, fields: dict[str, str]) -> AuthRequest | Response:
    """The request if it may go on, else the answer that stops it."""
    try:
        return await check(gw, fields)
    except PageError as exc:
        return error_page(str(exc))
    except RedirectError as exc:
        return back_to_client(exc.request, {"error": exc.error,
                                            "error_description": exc.description})


@get(["/oauth/authorize", "/oauth/sign_up"], include_in_schema=False)
async def authorize_page(request: Request) -> Response:
    auth = await checked(gateway_of(request), _fields(request.query_params))
    if isinstance(auth, Response):
        return auth
    if request.url.path == "/oauth/sign_up":
        return signup_page(request, auth,
                           values={"invite_code": request.query_params.get("invite_code", "")})
    return login_page(request, auth)


@post("/oauth/authorize", include_in_schema=False)
async def authorize(request: Request) -> Response:
    gw = gateway_of(request)
    form = await _form(request)
    auth = await checked(gw, _fields(form))
    if isinstance(auth, Response):
        return auth
    login = form.get("login", "").strip()
    if not csrf_ok(request, "authorize", form.get("csrf", "")):
        return login_page(request, auth, login=login, status=403,
                          error="This form expired. Please sign in again.")
    if form.get("decision") == "deny":
        return back_to_client(auth, {"error": "access_denied",
                                     "error_description": "The person declined."})
    if not login or not form.get("password"):
        return login_page(request, auth, login=login, status=422,
                          error="Enter your e-mail address and password.")
    assert gw.nc is not None
    try:
        account = await bus.call(
            gw.nc, graph_api.ACCOUNT_AUTHENTICATE,
            graph_api.Authenticate(login=login, password=form["password"]))
    except errors.Unauthorized as exc:
        return login_page(request, auth, login=login, status=401, error=exc.message)
    return await grant(gw, auth, account)


@post("/oauth/sign_up", include_in_schema=False)
async def sign_up(request: Request) -> Response:
    gw = gateway_of(request)
    form = await _form(request)
    auth = await checked(gw, _fields(form))
    if isinstance(auth, Response):
        return auth
    values = {k: form.get(k, "").strip() for k in ("display_name", "username", "email",
                                                   "invite_code")}
    if not csrf_ok(request, "sign_up", form.get("csrf", "")):
        return signup_page(request, auth, values=values, status=403,
                           error="This form expired. Please try again.")
    assert gw.nc is not None
    try:
        account = await bus.call(
            gw.nc, graph_api.ACCOUNT_CREATE,
            graph_api.RegisterWithInvitation(
                username=values["username"], email=values["email"],
                password=form.get("password", ""), display_name=values["display_name"],
                invite_code=values["invite_code"] or None), timeout=10)
    except (errors.Invalid, errors.Forbidden, errors.Conflict) as exc:
        return signup_page(request, auth, values=values, status=422,
                           error=_sentence(exc.message))
    return await grant(gw, auth, account)


ROUTES = [authorize_page, authorize, sign_up]
