"""OAuth 2 authorization-code flow with PKCE: the gateway's own sign-in, sign-up and consent pages
(``GET``/``POST /oauth/authorize``, ``/oauth/sign_up``). Each handler checks the request
(``oauth_request.py``), the form's CSRF token (``csrf.py``) and the person, then shows a page
(``sign_in_pages.py``) or sends the browser back to the app with a code
(``store/oauth_codes.py``), which the token endpoint exchanges.

The pages keep no session: the e-mail and password come with the consent, and the OAuth
parameters travel in hidden fields and are checked again on every POST."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post

from services.gateway import csrf, params, rate_limits, redirect_uris, sign_in_pages
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
    assert auth.code_challenge  # check() requires PKCE
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
                invite_code=values["invite_code"] or None), timeout=10)
    except (errors.Invalid, errors.Forbidden, errors.Conflict) as exc:
        return signup_page(request, auth, values=values, status=422,
                           error=_sentence(exc.message))
    return await grant(gw, auth, account)


ROUTES = [authorize_page, authorize, sign_up]
