"""OAuth 2 authorization-code flow with PKCE (or without, for apps a network trusts: see
application/oauth_trust.py): the gateway's own sign-in, sign-up and consent pages
(``GET``/``POST /oauth/authorize``, ``/oauth/sign_up``). Each handler checks the request
(``oauth_request.py``), the form's CSRF token (``csrf.py``) and the person, then shows a page
(``sign_in_pages.py``) or sends the browser back to the app with a code
(``store/oauth_codes.py``), which the token endpoint exchanges.

The pages keep no session: the e-mail and password come with the consent, and the OAuth
parameters travel in hidden fields and are checked again on every POST.

Single sign-on (``POST /oauth/sso``, ``GET /auth/sso/callback``): the person gives their work
address, the gateway sends them to the identity provider of the network that claimed its domain,
and the callback goes on where the password form would have, to the app's code
(``sso_sign_in.py`` keeps the sign-in under way and checks the provider's answer)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post

from services.gateway import (
    csrf,
    params,
    rate_limits,
    redirect_uris,
    sign_in_pages,
    sso_sign_in,
)
from services.gateway.application import oauth_trust
from services.gateway.context import Gateway, gateway_of
from services.gateway.oauth_request import (
    OOB,
    AuthRequest,
    PageError,
    RedirectError,
    check,
    fields_of,
)
from services.gateway.scopes import PUBLIC
from services.gateway.sign_in_pages import code_page, error_page, login_page, signup_page
from services.gateway.store import oauth_codes
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.records import AccountRecord


def client_url(auth: AuthRequest, params: dict[str, str]) -> str:
    """The app's redirect URI with these parameters and the request's ``state``."""
    if auth.state:
        params = {**params, "state": auth.state}
    sep = "&" if "?" in auth.redirect_uri else "?"
    return f"{auth.redirect_uri}{sep}{urlencode(params)}"


def back_to_client(auth: AuthRequest, params: dict[str, str]) -> Response[Any]:
    """Only after the person acted on Hubbub's page (signed in, or declined)."""
    if auth.redirect_uri == OOB:  # nowhere to send it: say it on the page
        if "code" in params:
            return code_page(auth, params["code"])
        return error_page(params.get("error_description") or params.get("error", "Refused"))
    return Response(content=b"", status_code=303, headers={
        "Location": client_url(auth, params), **sign_in_pages.NO_STORE})


async def grant(gw: Gateway, auth: AuthRequest, account: AccountRecord) -> Response[Any]:
    if not auth.code_challenge and not await oauth_trust.trusts_legacy_flows(
            gw, account.id, auth.app.client_id):
        description = ("code_challenge is required (PKCE, with code_challenge_method=S256): "
                       "your organisation has not allowed this app to sign in without it")
        return error_page(description, app_name=auth.app.name, back=None
                          if auth.redirect_uri == OOB else client_url(auth, {
                              "error": "invalid_request", "error_description": description}))
    code = await oauth_codes.issue_code(gw.pool, app_id=auth.app.id, account_id=account.id,
                                        redirect_uri=auth.redirect_uri, scopes=auth.scopes,
                                        code_challenge=auth.code_challenge)
    return back_to_client(auth, {"code": code})


def _sentence(message: str) -> str:
    message = message.removeprefix("Validation failed: ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    params.check_text(fields)
    return fields


async def checked(gw: Gateway, fields: dict[str, str]) -> AuthRequest | Response[Any]:
    """The request if it may go on, else the answer that stops it."""
    try:
        return await check(gw.pool, fields, redirect_uris.origin_of(gw.base_url),
                           gw.settings.oauth_extra_schemes)
    except PageError as exc:
        return error_page(str(exc))
    except RedirectError as exc:
        # Never an automatic redirect: the person may follow the link back, or not.
        back = exc.request
        return error_page(exc.description, app_name=back.app.name, back=None
                          if back.redirect_uri == OOB else client_url(back, {
                              "error": exc.error, "error_description": exc.description}))


@get(["/oauth/authorize", "/oauth/sign_up"], include_in_schema=False, opt=PUBLIC)
async def authorize_page(request: Request[Any, Any, Any]) -> Response[Any]:
    auth = await checked(gateway_of(request), fields_of(request.query_params))
    if isinstance(auth, Response):
        return auth
    if request.url.path == "/oauth/sign_up":
        return signup_page(request, auth,
                           values={"invite_code": request.query_params.get("invite_code", "")})
    return login_page(request, auth)


@post("/oauth/authorize", include_in_schema=False, opt=PUBLIC)
async def authorize(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    form = await _form(request)
    auth = await checked(gw, fields_of(form))
    if isinstance(auth, Response):
        return auth
    login = form.get("login", "").strip()
    if not csrf.is_valid(request, "authorize", form.get("csrf", "")):
        return login_page(request, auth, login=login, status=403,
                          error="This form expired. Please sign in again.")
    if form.get("decision") == "deny":
        return back_to_client(auth, {"error": "access_denied",
                                     "error_description": "The person declined."})
    if not login or not form.get("password"):
        return login_page(request, auth, login=login, status=422,
                          error="Enter your e-mail address and password.")
    try:
        account = await gw.rate_limits.sign_in(
            rate_limits.host_of(request), login, lambda: bus.call(
                gw.nc, graph_api.ACCOUNT_AUTHENTICATE,
                graph_api.Authenticate(login=login, password=form["password"])))
    except errors.Unauthorized as exc:
        return login_page(request, auth, login=login, status=401, error=exc.message)
    except errors.Forbidden as exc:  # the network requires single sign-on
        return login_page(request, auth, login=login, status=403, error=exc.message,
                          sso_email=login if "@" in login else "")
    return await grant(gw, auth, account)


@post("/oauth/sso", include_in_schema=False, opt=PUBLIC)
async def sso_start(request: Request[Any, Any, Any]) -> Response[Any]:
    """From the sign-in page: off to the identity provider of the address's network."""
    gw = gateway_of(request)
    form = await _form(request)
    auth = await checked(gw, fields_of(form))
    if isinstance(auth, Response):
        return auth
    email = form.get("email", "").strip()[:320]
    if not csrf.is_valid(request, "authorize", form.get("csrf", "")):
        return login_page(request, auth, sso_email=email, status=403,
                          error="This form expired. Please sign in again.")
    if sso_sign_in.domain_of(email) is None:
        return login_page(request, auth, sso_email=email, status=422,
                          error="Enter your work e-mail address.")
    provider = await sso_sign_in.provider_for(gw.nc, email)
    if provider is None:
        return login_page(request, auth, sso_email=email, status=404,
                          error=f"No organisation sign-in is set up for "
                                f"{sso_sign_in.domain_of(email)}: sign in with your password.")
    try:
        started = await sso_sign_in.start(
            gw.nc, gw.redis.main, provider, base_url=gw.base_url,
            authorize_fields=dict(auth.given_fields()), email=email,
            allow_http=gw.settings.sso_allow_http, secure=request.url.scheme == "https")
    except sso_sign_in.SignInProblem as exc:
        return error_page(exc.message, exc.status)
    return Response(content=b"", status_code=303, cookies=[started.cookie], headers={
        "Location": started.location, **sign_in_pages.NO_STORE})


@get(sso_sign_in.CALLBACK_PATH, include_in_schema=False, opt=PUBLIC)
async def sso_callback(request: Request[Any, Any, Any]) -> Response[Any]:
    """The provider sends the browser back here with a code (or an error) and our ``state``."""
    gw = gateway_of(request)
    query = {k: str(v)[:2000] for k, v in request.query_params.items()}
    params.check_text(query)
    try:
        pending = await sso_sign_in.take_pending(gw.redis.main, query.get("state", ""),
                                                 request.cookies.get(sso_sign_in.COOKIE))
        if query.get("error"):
            raise sso_sign_in.SignInProblem(
                "Your organisation's sign-in did not sign you in "
                f"({query['error'][:100]}).", 400)
        account = await sso_sign_in.finish(gw.nc, pending, code=query.get("code", ""),
                                           base_url=gw.base_url,
                                           allow_http=gw.settings.sso_allow_http)
    except sso_sign_in.SignInProblem as exc:
        return error_page(exc.message, exc.status)
    auth = await checked(gw, pending.authorize_fields)
    if isinstance(auth, Response):
        return auth
    return await grant(gw, auth, account)


@post("/oauth/sign_up", include_in_schema=False, opt=PUBLIC)
async def sign_up(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    form = await _form(request)
    auth = await checked(gw, fields_of(form))
    if isinstance(auth, Response):
        return auth
    values = {k: form.get(k, "").strip() for k in ("display_name", "username", "email",
                                                   "invite_code")}
    if not csrf.is_valid(request, "sign_up", form.get("csrf", "")):
        return signup_page(request, auth, values=values, status=403,
                           error="This form expired. Please try again.")
    await gw.rate_limits.take(rate_limits.host_of(request), "sign_up")
    try:
        account = await bus.call(
            gw.nc, graph_api.ACCOUNT_CREATE,
            graph_api.RegisterWithInvitation(
                username=values["username"], email=values["email"],
                password=form.get("password", ""), display_name=values["display_name"],
                invite_code=values["invite_code"] or None,
                ip=rate_limits.host_of(request)), timeout=10)
    except (errors.Invalid, errors.Forbidden, errors.Conflict) as exc:
        return signup_page(request, auth, values=values, status=422,
                           error=_sentence(exc.message))
    return await grant(gw, auth, account)


ROUTES = [authorize_page, authorize, sign_up, sso_start, sso_callback]
