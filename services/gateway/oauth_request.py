"""An OAuth authorization request (``/oauth/authorize``, ``/oauth/sign_up``), checked.

The pages keep no session: the OAuth parameters travel in hidden fields and are checked again on
every POST. No error is ever an automatic redirect (RFC 9700 4.11.2): anyone may register an app,
so a redirect URI is not trusted until the person chooses to go there. An unknown client or a
redirect URI the app did not register (RFC 6749 4.1.2.1) is shown on a page with no way on; any
other error is shown on a page whose link takes the person back to the client with ``error=``
and its ``state``, if they choose to follow it.

PKCE, when asked, is S256 only (``plain`` is defeated by whoever reads the request). A request
with no challenge at all goes on to the sign-in page, as on Mastodon, and gets a code only if the
person's network trusts the app with the older flows (application/oauth_trust.py, checked once
the person is known): Mastodon.py and toot send no challenge. Every other app needs PKCE, since a
code issued without a challenge could be redeemed by whoever intercepts it (RFC 9700 2.1.1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import asyncpg

from services.gateway import params, redirect_uris, tokens
from services.gateway.store import oauth_codes
from shared import errors

OOB = redirect_uris.OOB
S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
OAUTH_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state",
                "code_challenge", "code_challenge_method")


@dataclass(frozen=True)
class AuthRequest:
    app: tokens.App
    redirect_uri: str
    scopes: str
    state: str
    code_challenge: str  # "": no PKCE, for an app the person's network trusts (oauth_trust)
    fields: dict[str, str]  # the OAuth parameters as received, for the hidden fields and links

    def given_fields(self) -> list[tuple[str, str]]:
        """The OAuth parameters that were given, in order: the pages' hidden fields."""
        return [(name, self.fields[name]) for name in OAUTH_FIELDS if self.fields.get(name)]

    def query(self) -> str:
        """The same parameters as a query string, for the links between the two pages."""
        return urlencode(self.given_fields())


class PageError(Exception):
    """Shown on a page: the client or its redirect URI cannot be trusted."""


class RedirectError(Exception):
    """For the client, at its redirect URI as ``error=``: shown on a page first, whose link the
    person may follow back to the client."""

    def __init__(self, request: AuthRequest, error: str, description: str) -> None:
        super().__init__(description)
        self.request = request
        self.error = error
        self.description = description


def fields_of(source: Mapping[str, object]) -> dict[str, str]:
    """The OAuth parameters from a query or a form, each present, "" when not given."""
    fields = {name: str(source.get(name) or "") for name in OAUTH_FIELDS}
    params.check_text(fields)
    return fields


async def check(pool: asyncpg.Pool, fields: dict[str, str], own_origin: str,
                extra_schemes: tuple[str, ...] = ()) -> AuthRequest:
    """The request if the client, its redirect URI and every parameter are right; else
    ``PageError`` until the client and redirect URI are known good, ``RedirectError`` after."""
    client_id = fields.get("client_id", "")
    app = await oauth_codes.app_by_client_id(pool, client_id) if client_id else None
    if app is None:
        raise PageError("This app is not known to Hubbub (unknown client_id). Ask its maker "
                        "to register it again.")
    registered = app.redirect_uris.split()
    asked = fields.get("redirect_uri") or (registered[0] if len(registered) == 1 else "")
    redirect_uri = redirect_uris.matching(asked, registered)
    # Checked again here: apps registered before the rules may hold any URI.
    if redirect_uri is None or redirect_uris.problem(
            redirect_uri, own_origin, extra_schemes) is not None:
        raise PageError("The redirect URI does not match one this app registered, so Hubbub "
                        "will not send you there.")
    challenge = fields.get("code_challenge", "")
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
    # No method means "plain" (RFC 7636 4.3), which an eavesdropper on the request defeats; a
    # method with no challenge is a client that meant PKCE and lost its challenge.
    if (challenge or fields.get("code_challenge_method")) and (
            fields.get("code_challenge_method") != "S256" or not S256_CHALLENGE.match(challenge)):
        raise RedirectError(request, "invalid_request",
                            "code_challenge_method must be S256, with a 43-character challenge")
    return AuthRequest(app=app, redirect_uri=redirect_uri, scopes=scopes, state=request.state,
                       code_challenge=challenge, fields=request.fields)
