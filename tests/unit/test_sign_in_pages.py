"""The sign-in pages' templates, without a server: every value given to them is text, never
markup, escaped the way the pages always were; each form carries its CSRF token and sets the
cookie that token comes from."""

from __future__ import annotations

import html
from types import SimpleNamespace

from services.gateway import csrf, sign_in_pages
from services.gateway.oauth_request import AuthRequest, fields_of
from services.gateway.tokens import App

HOSTILE = '"><script>alert(\'x\')</script>&'
SECRET = "s" * 40


def request(scheme: str = "https") -> SimpleNamespace:
    return SimpleNamespace(cookies={csrf.COOKIE: SECRET}, url=SimpleNamespace(scheme=scheme))


def auth() -> AuthRequest:
    app = App(id=1, name=HOSTILE, website=None, redirect_uris="http://x/cb",
              scopes="read write", client_id="cid")
    fields = fields_of({"response_type": "code", "client_id": "cid", "redirect_uri": "http://x/cb",
                        "state": HOSTILE})
    return AuthRequest(app=app, redirect_uri="http://x/cb", scopes="read write:statuses",
                       state=HOSTILE, code_challenge="", fields=fields)


def test_forms_escape_every_value_and_carry_their_csrf_token() -> None:
    escaped = html.escape(HOSTILE, quote=True)
    for page, form in (
            (sign_in_pages.login_page(request(), auth(), error=HOSTILE, login=HOSTILE),
             "authorize"),
            (sign_in_pages.signup_page(request(), auth(), error=HOSTILE,
                                       values={"username": HOSTILE}), "sign_up")):
        body = page.content.decode()
        assert "<script>" not in body and escaped in body
        assert f'name="state" value="{escaped}"' in body
        assert f'name="csrf" value="{csrf.form_token(SECRET, form)}"' in body
        assert page.cookies[0].value == SECRET and page.cookies[0].secure
        assert page.headers["Cache-Control"] == "no-store"
        # read and write:statuses, each shown once in words
        assert body.count("<li>") == 2


def test_code_and_error_pages_set_no_cookie() -> None:
    code = sign_in_pages.code_page(auth(), "a<b")
    assert "a&lt;b</output>" in code.content.decode() and not code.cookies
    error = sign_in_pages.error_page(HOSTILE, status=400)
    assert error.status_code == 400 and html.escape(HOSTILE) in error.content.decode()
    assert not error.cookies
