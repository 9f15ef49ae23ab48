"""The gateway's own HTML pages for the OAuth flow: sign in, sign up, the out-of-band code and
the error page. Templates are in ``web/templates/``; Jinja autoescapes every value in them, so
an app's name, a ``state`` or a login is text on the page, never markup.

Every page answers with the same headers (not stored, not framed) and each form page sets the
CSRF cookie its form's token is derived from (see ``csrf.py``)."""

from __future__ import annotations

import html
from typing import Any

import jinja2
from litestar import Request, Response
from markupsafe import Markup

from services.gateway import csrf
from services.gateway.assets import TEMPLATES_DIR, asset_url
from services.gateway.oauth_request import AuthRequest
from services.gateway.store.oauth_codes import CODE_TTL

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
SCOPE_TEXT = {
    "read": "Read your timelines, profile, notifications and communities",
    "write": "Post, edit and delete, favourite, boost and bookmark for you",
    "follow": "Follow and unfollow people and hashtags for you",
    "push": "Send you notifications",
    "profile": "See your profile",
    "admin": "Administer your network, if you are one of its admins",
}
HEADERS = {**NO_STORE, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer",
           # No form-action: the consent form redirects to the app, wherever it lives.
           "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                                      "frame-ancestors 'none'; base-uri 'none'"}


def _escape(value: Any) -> Any:
    """Escape as ``html.escape`` does (``&quot;``, ``&#x27;``), which the pages have always
    written, rather than markupsafe's ``&#34;``/``&#39;``: the same text to a browser, and the
    same bytes to anything that compares them. Values already marked safe pass through."""
    return value if hasattr(value, "__html__") else Markup(html.escape(str(value), quote=True))


templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, finalize=_escape,
    undefined=jinja2.StrictUndefined, trim_blocks=True, keep_trailing_newline=True,
    auto_reload=False)
templates.globals["asset_url"] = asset_url


def render(template: str, *, status: int = 200, secret: str | None = None, secure: bool = False,
           **context: Any) -> Response[Any]:
    document = templates.get_template(template).render(**context)
    cookies = [csrf.cookie(secret, secure=secure)] if secret is not None else []
    return Response(content=document.encode(), status_code=status, media_type="text/html",
                    headers=dict(HEADERS), cookies=cookies)


def _scope_texts(scopes: str) -> list[str]:
    """What each scope lets the app do, once each ("read:statuses" reads as "read")."""
    return list(dict.fromkeys(SCOPE_TEXT.get(s.split(":")[0], s) for s in scopes.split()))


def _form_page(template: str, request: Request[Any, Any, Any], auth: AuthRequest, form: str, *,
               status: int, **context: Any) -> Response[Any]:
    secret = csrf.secret_for(request)
    return render(template, status=status, secret=secret, secure=request.url.scheme == "https",
                  app_name=auth.app.name, csrf_token=csrf.form_token(secret, form),
                  hidden=auth.given_fields(), query=auth.query(),
                  scopes=_scope_texts(auth.scopes), **context)


def login_page(request: Request[Any, Any, Any], auth: AuthRequest, *, error: str | None = None,
               login: str = "", sso_email: str = "", status: int = 200) -> Response[Any]:
    return _form_page("sign_in.html", request, auth, "authorize", status=status, error=error,
                      login=login, sso_email=sso_email)


def signup_page(request: Request[Any, Any, Any], auth: AuthRequest, *, error: str | None = None,
                values: dict[str, str] | None = None, status: int = 200) -> Response[Any]:
    v = values or {}
    return _form_page("sign_up.html", request, auth, "sign_up", status=status, error=error,
                      values={k: v.get(k, "") for k in ("display_name", "username", "email",
                                                        "invite_code")})


def code_page(auth: AuthRequest, code: str) -> Response[Any]:
    return render("code.html", app_name=auth.app.name, code=code,
                  minutes=int(CODE_TTL.total_seconds() // 60))


def error_page(message: str, status: int = 400, *, app_name: str = "",
               back: str | None = None) -> Response[Any]:
    """The error, and when the app may hear of it, a link back that the person chooses."""
    return render("error.html", status=status, message=message, app_name=app_name, back=back)
