"""CSRF protection for the sign-in and sign-up forms, which keep no session: a per-form double
submit. A random secret lives in an HttpOnly, SameSite=Strict cookie scoped to ``/oauth``; each
form carries an HMAC of its name under that secret. Another site can neither read the cookie nor
compute the token, and a browser does not send a Strict cookie on its cross-site posts."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie

COOKIE = "hubbub_oauth"
MAX_AGE = 3600
_SECRET = re.compile(r"[A-Za-z0-9_-]{32,64}")


def form_token(secret: str, form: str) -> str:
    return hmac.new(secret.encode(), form.encode(), hashlib.sha256).hexdigest()


def secret_for(request: Request[Any, Any, Any]) -> str:
    """The browser's secret if it sent a well-formed one, else a new one (set with the page)."""
    current = request.cookies.get(COOKIE, "")
    return current if _SECRET.fullmatch(current) else secrets.token_urlsafe(32)


def cookie(secret: str, *, secure: bool) -> Cookie:
    return Cookie(key=COOKIE, value=secret, path="/oauth", httponly=True, samesite="strict",
                  secure=secure, max_age=MAX_AGE)


def is_valid(request: Request[Any, Any, Any], form: str, submitted: str) -> bool:
    secret = request.cookies.get(COOKIE, "")
    if not secret or not submitted:
        return False
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        return False
    return hmac.compare_digest(form_token(secret, form), submitted)
