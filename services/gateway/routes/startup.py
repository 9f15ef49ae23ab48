"""What Mastodon clients ask for as they start, beside the instance and the account:

- ``/api/v1/preferences``: the user's posting defaults (the same ``source`` settings that
  ``update_credentials`` changes and ``verify_credentials`` shows), and reading defaults;
- ``/api/v1/custom_emojis``: Hubbub has no custom emojis, so the list is empty;
- ``/api/v1/announcements``: Hubbub has no server announcements, so the list is empty;
- ``/api/v1/instance/rules``: Hubbub has no server rules to show at sign-up (an enterprise
  network's rules live in its own policies), so the list is empty.

The empty lists are the true answers, not placeholders: before, these answered 404, which
several clients report as an error on every start."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from services.gateway import responses
from services.gateway.application.accounts import credentials_of
from services.gateway.context import gateway_of
from services.gateway.scopes import PUBLIC, needs


@get("/api/v1/preferences", opt=needs("read:accounts"))
async def preferences(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    creds = await credentials_of(gw, me.id)
    return responses.json({
        "posting:default:visibility": creds.privacy,
        "posting:default:sensitive": creds.sensitive,
        "posting:default:language": creds.language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    })


@get("/api/v1/custom_emojis", opt=PUBLIC)
async def custom_emojis() -> Response[Any]:
    return responses.json([])


@get("/api/v1/announcements", opt=needs("read"))
async def announcements(request: Request[Any, Any, Any]) -> Response[Any]:
    await gateway_of(request).user(request)
    return responses.json([])


@get("/api/v1/instance/rules", opt=PUBLIC)
async def rules() -> Response[Any]:
    return responses.json([])


ROUTES = [preferences, custom_emojis, announcements, rules]
