"""Instance extras (Mastodon client API): peers, activity, languages, translation languages,
the extended description and the domain blocks."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, get

from services.gateway import responses
from services.gateway.application.instance_activity import activity
from services.gateway.context import gateway_of
from services.gateway.presenters.languages import languages_json
from services.gateway.scopes import PUBLIC, needs

# When this process read its settings: the extended description comes from one, and changes
# only with a restart.
_STARTED_AT = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


@get("/api/v1/instance/peers", sync_to_thread=False, opt=PUBLIC)
def peers() -> Response[Any]:
    """Hubbub does not federate: no other server is a peer (an empty list, as a new Mastodon
    server answers)."""
    return responses.json([])


@get("/api/v1/instance/activity", opt=needs())
async def instance_activity(request: Request[Any, Any, Any]) -> Response[Any]:
    """Twelve weeks of statuses, logins and registrations, this week first. Mastodon shows it
    to anyone; Hubbub shows a signed-in member its own network's figures only, so a company's
    activity does not leak to strangers (services/gateway/application/instance_activity.py)."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    return responses.json(await activity(gw, me.network_id))


@get("/api/v1/instance/languages", sync_to_thread=False, opt=PUBLIC)
def languages() -> Response[Any]:
    return responses.json(languages_json())


@get("/api/v1/instance/translation_languages", sync_to_thread=False, opt=PUBLIC)
def translation_languages() -> Response[Any]:
    """No translation service is configured: nothing translates to anything."""
    return responses.json({})


@get("/api/v1/instance/extended_description", sync_to_thread=False, opt=PUBLIC)
def extended_description(request: Request[Any, Any, Any]) -> Response[Any]:
    content = gateway_of(request).settings.instance_extended_description
    return responses.json({"updated_at": _STARTED_AT, "content": content})


@get("/api/v1/instance/domain_blocks", sync_to_thread=False, opt=PUBLIC)
def domain_blocks() -> Response[Any]:
    """No federation, so no other domain to block: empty, as Mastodon answers when it
    blocks none."""
    return responses.json([])


ROUTES = [peers, instance_activity, languages, translation_languages, extended_description,
          domain_blocks]
