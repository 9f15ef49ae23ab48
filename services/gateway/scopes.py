"""OAuth scopes as Mastodon documents them (docs.joinmastodon.org/api/oauth-scopes), declared once
per route and checked by one guard before any handler runs.

A route says what it needs in its ``opt`` (``@get(..., opt=needs("read:statuses"))``); the
guard (``guard`` below, installed app-wide) refuses a caller whose token does not grant it:
401 without a valid token, 403 ``This action is outside the authorized scopes`` without the
scope, 422 when a user is needed and the token is an app's. Handlers never check scopes
themselves, so a route cannot forget: the app refuses to start with an undeclared route
(``undeclared``), and tests/security/test_scopes.py walks the whole table.

What grants what, as Mastodon's Doorkeeper setup and controllers do:
- a granular scope (``read:statuses``) is granted by itself or by its parent (``read``);
  ``admin:read:accounts`` by itself or ``admin:read``; the parents ``read``, ``write``,
  ``admin:read`` and ``admin:write`` only by themselves;
- ``follow`` (deprecated, still sent by many clients) grants the six follow, block and mute
  scopes (``read:follows write:follows read:blocks write:blocks read:mutes write:mutes``);
- ``profile`` grants nothing but what a route lists it for (``verify_credentials``);
- ``push`` grants the Web Push subscription routes (``/api/v1/push/subscription``) only.
Streams are declared in ``STREAM_SCOPES`` and checked by the stream session per subscription.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import msgspec
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import ASGIRoute, HTTPRoute, WebSocketRoute

from shared import errors

READS = ("accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists",
         "mutes", "notifications", "search", "statuses")
WRITES = ("accounts", "blocks", "bookmarks", "conversations", "favourites", "filters",
          "follows", "lists", "media", "mutes", "notifications", "reports", "statuses")
ADMIN = ("accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks",
         "email_domain_blocks", "canonical_email_blocks")
LEGACY_FOLLOW = frozenset({"read:follows", "write:follows", "read:blocks", "write:blocks",
                           "read:mutes", "write:mutes"})
KNOWN = frozenset({
    "read", *(f"read:{s}" for s in READS), "write", *(f"write:{s}" for s in WRITES),
    "follow", "push", "profile",
    "admin:read", *(f"admin:read:{s}" for s in ADMIN),
    "admin:write", *(f"admin:write:{s}" for s in ADMIN),
})
OUTSIDE = "This action is outside the authorized scopes"
# Both 401. Mastodon (Doorkeeper) says "invalid" for a missing token too; saying which it is
# tells whoever reads the answer what to fix (sign in, or sign in again).
INVALID_TOKEN = "The access token is invalid"
MISSING_TOKEN = "The access token is missing"
# A sign-up's token before it is a member (Mastodon's require_user!, 403): on every route that
# needs a user or reads with a user's token, except those declared ``pending=True``.
NOT_A_MEMBER = {
    "unconfirmed": "Your login is missing a confirmed e-mail address",
    "pending": "Your login is currently pending approval",
}


def _parent(scope: str) -> str | None:
    """``read`` for ``read:statuses``, ``admin:read`` for ``admin:read:accounts``."""
    parent, _, leaf = scope.rpartition(":")
    return parent if parent and leaf and parent in KNOWN else None


def grants(granted: Iterable[str], needed: str) -> bool:
    """Whether a token holding ``granted`` may do what needs ``needed``."""
    held = granted if isinstance(granted, (set, frozenset)) else set(granted)
    if needed in held:
        return True
    parent = _parent(needed)
    if parent is not None and parent in held:
        return True
    return needed in LEGACY_FOLLOW and "follow" in held


class Need(msgspec.Struct, frozen=True, kw_only=True):
    """What a route asks of the caller's token.

    any_of: scopes of which the token must grant one (empty: any valid token);
    anonymous: also served without a token (Mastodon's ``authorize_if_got_token!``): a token
    given must still be valid and grant the scope, or a write-only token could read;
    user: a user's token, not an app's (client credentials);
    pending: also serves a sign-up not yet a member (its address unconfirmed, or awaiting an
    admin's approval), whose token every other route refuses with 403."""

    any_of: tuple[str, ...]
    anonymous: bool = False
    user: bool = True
    pending: bool = False

    def permits(self, granted: Iterable[str]) -> bool:
        held = frozenset(granted)
        return not self.any_of or any(grants(held, s) for s in self.any_of)


class PerParam(msgspec.Struct, frozen=True, kw_only=True):
    """One route serving several actions named by a path parameter (``/statuses/:id/{action}``),
    each with its own need; an action not listed is a 404, as the handler would answer."""

    param: str
    needs: Mapping[str, Need]


class PerStream(msgspec.Struct, frozen=True):
    """Streaming: the token is checked at connect and each stream at subscription, against
    ``STREAM_SCOPES`` (the stream is named in the query or in later messages)."""


class OwnBearer(msgspec.Struct, frozen=True):
    """Routes with bearer tokens of their own, not OAuth's (SCIM: tokens a network admin made
    for the directory, checked by routes/scim.py's guard): public as far as OAuth goes, this
    guard looks at no token."""


Declared = Need | PerParam | PerStream | OwnBearer | None
OPT = "scope"
PER_STREAM = PerStream()


def needs(*any_of: str, anonymous: bool = False, user: bool = True,
          pending: bool = False) -> dict[str, Declared]:
    """A route's ``opt``: the scopes it needs (one of them)."""
    unknown = [s for s in any_of if s not in KNOWN]
    if unknown:
        raise ValueError(f"unknown scope {unknown}")  # a typo must not become a dead route
    return {OPT: Need(any_of=any_of, anonymous=anonymous, user=user, pending=pending)}


def per_param(param: str, table: Mapping[str, dict[str, Declared]]) -> dict[str, Declared]:
    """A route's ``opt`` for one handler serving several actions: ``{action: needs(...)}``."""
    found = {action: opt[OPT] for action, opt in table.items()}
    if not all(isinstance(n, Need) for n in found.values()):
        raise ValueError("per_param takes needs(...) only")
    return {OPT: PerParam(param=param, needs={a: n for a, n in found.items()
                                              if isinstance(n, Need)})}


PUBLIC: dict[str, Declared] = {OPT: None}  # no token looked at (instance, OAuth, web pages)
STREAMED: dict[str, Declared] = {OPT: PER_STREAM}
SCIM_TOKEN: dict[str, Declared] = {OPT: OwnBearer()}

# Mastodon's streaming server: ``read`` opens every stream; otherwise ``read:statuses`` the
# timelines and ``read:notifications`` the notifications-only stream. Hubbub's community
# stream is a timeline of statuses, as hashtag and list streams are.
_TIMELINE = ("read:statuses",)
STREAM_SCOPES: dict[str, tuple[str, ...]] = {
    "user": _TIMELINE, "user:notification": ("read:notifications",),
    "public": _TIMELINE, "public:local": _TIMELINE, "public:media": _TIMELINE,
    "public:local:media": _TIMELINE, "hashtag": _TIMELINE,
    "hashtag:local": _TIMELINE, "list": _TIMELINE, "direct": _TIMELINE,
    "community": _TIMELINE,
}


def stream_permitted(granted: Iterable[str], stream: str) -> bool:
    held = frozenset(granted)
    return "read" in held or any(grants(held, s) for s in STREAM_SCOPES.get(stream, ()))


def _generated_options(handler: BaseRouteHandler) -> bool:
    """Litestar's own OPTIONS answer (the Allow header) on every path: public."""
    return (handler.handler_name == "options_handler"
            and set(getattr(handler, "http_methods", ())) == {"OPTIONS"})


def declared(handler: BaseRouteHandler) -> Declared:
    if _generated_options(handler):
        return None
    need = handler.opt.get(OPT, _MISSING)
    if need is _MISSING:
        # Fail closed: undeclared routes are refused (and the app refuses to start with one).
        raise errors.Forbidden(OUTSIDE)
    return need  # type: ignore[no-any-return]


_MISSING = object()


def undeclared(handlers: Iterable[BaseRouteHandler]) -> list[str]:
    """The handlers (by name) that declare no scope."""
    return [h.handler_name for h in handlers if OPT not in h.opt and not _generated_options(h)]


def handlers_of(app: Litestar) -> list[BaseRouteHandler]:
    """Every route handler of the app, once each."""
    found: dict[int, BaseRouteHandler] = {}
    for route in app.routes:
        # HTTP routes hold one handler per method; WebSocket and ASGI routes hold one.
        held: list[BaseRouteHandler] = (
            list(route.route_handlers) if isinstance(route, HTTPRoute)
            else [route.route_handler] if isinstance(route, WebSocketRoute | ASGIRoute) else [])
        for handler in held:
            found[id(handler)] = handler
    return list(found.values())


def require_declared(app: Litestar) -> None:
    """Refuse to build an app with a route that declares no scope."""
    missing = undeclared(handlers_of(app))
    if missing:
        raise RuntimeError(f"routes without a scope declaration: {', '.join(missing)}")


def route_need(app: Litestar, path: str, method: Literal["GET", "POST"]) -> Need:
    """The declared need of one route (for the express lane, which serves it itself)."""
    handler = app.route_handler_method_map[path][method]
    need = handler.opt.get(OPT)
    if not isinstance(need, Need):
        raise RuntimeError(f"{method} {path} declares no plain scope")
    return need


def need_for(declaration: Declared, path_params: Mapping[str, object]) -> Need | None:
    """The need of one request: the route's, or its action's; None for public routes and
    streams (checked per stream)."""
    if isinstance(declaration, PerParam):
        need = declaration.needs.get(str(path_params.get(declaration.param, "")))
        if need is None:
            raise errors.NotFound("Record not found")
        return need
    if isinstance(declaration, Need):
        return declaration
    return None


def check(need: Need, scopes: frozenset[str] | None, account_id: int | None) -> None:
    """Mastodon's order: the token (401, by the caller), its scopes (403), then a user (422).
    ``scopes`` None: no token was given."""
    if scopes is None:
        if need.anonymous:
            return
        raise errors.Unauthorized(MISSING_TOKEN)
    if not need.permits(scopes):
        raise errors.Forbidden(OUTSIDE)
    if need.user and account_id is None and not need.anonymous:
        raise errors.Unprocessable("This method requires an authenticated user")


def check_standing(need: Need, standing: str) -> None:
    """After ``check``: a sign-up's token that is not a member yet (403, Mastodon's words)."""
    refusal = NOT_A_MEMBER.get(standing)
    if refusal is not None and not need.pending:
        raise errors.Forbidden(refusal)


async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every route's scope, checked before its handler (Litestar's app-wide guard)."""
    need = need_for(declared(handler), connection.path_params)
    if need is None:
        return
    from services.gateway.context import gateway_of  # the context imports this module

    gw = gateway_of(connection)
    caller = await gw.caller(connection)  # 401 for a bad token, even where anonymous is fine
    if caller is None:
        return check(need, None, None)
    check(need, caller.scopes, caller.account_id)
    check_standing(need, caller.standing)


def parse(requested: str, *, within: Iterable[str] | None = None) -> list[str]:
    """Requested scopes, each known (else ``Invalid``) and, with ``within``, each granted by
    those (an app's, or the token's): a narrower scope than the app's is fine."""
    asked = list(dict.fromkeys(requested.replace("+", " ").split()))
    unknown = [s for s in asked if s not in KNOWN]
    if unknown:
        raise errors.Invalid(f"Invalid scope: {' '.join(unknown)}")
    if within is not None:
        held = frozenset(within)
        if not all(grants(held, s) for s in asked):
            raise errors.Invalid("The requested scope is invalid, unknown, or malformed.")
    return asked
