"""Status extras (Mastodon client API): mute and unmute a thread, and translation (none
configured in Hubbub)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import FromPath

from services.gateway import responses
from services.gateway.application.statuses import visible_status
from services.gateway.application.thread_mutes import thread_of
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import notify as notify_api
from shared.contracts.verb import Verb
from shared.records import StatusRecord


async def _thread(request: Request[Any, Any, Any], status_id: str,
                  verb: Verb[notify_api.ThreadMute, notify_api.MutedThreads]) -> Response[Any]:
    gw, status, _ = await visible_status(request, status_id)
    _, me = await gw.user(request)
    original: StatusRecord = status
    if status.reblog_of_id is not None:  # a reblog's thread is its original's
        found = (await gw.hydrator.statuses([status.reblog_of_id])).get(status.reblog_of_id)
        if found is None:
            raise errors.NotFound("Record not found")
        original = found
    reply = await bus.call(gw.nc, verb, notify_api.ThreadMute(
        account_id=me.id, conversation_id=thread_of(original)))
    [rendered] = await gw.hydrator.render_statuses([status], me.id)
    muted = thread_of(original) in reply.conversation_ids
    rendered["muted"] = muted
    if isinstance(rendered.get("reblog"), dict):
        rendered["reblog"]["muted"] = muted
    return responses.json(rendered)


@post("/api/v1/statuses/{status_id:str}/mute", opt=needs("write:mutes"))
async def mute_thread(request: Request[Any, Any, Any], status_id: FromPath[str]) -> Response[Any]:
    """No more notifications about this status's thread for the reader (mentions, replies,
    favourites, reblogs, polls, edits); others are not affected."""
    return await _thread(request, status_id, notify_api.THREAD_MUTE)


@post("/api/v1/statuses/{status_id:str}/unmute", opt=needs("write:mutes"))
async def unmute_thread(request: Request[Any, Any, Any],
                        status_id: FromPath[str]) -> Response[Any]:
    return await _thread(request, status_id, notify_api.THREAD_UNMUTE)


@post("/api/v1/statuses/{status_id:str}/translate", opt=needs("read:statuses"))
async def translate(request: Request[Any, Any, Any], status_id: FromPath[str]) -> Response[Any]:
    """Hubbub has no translation service (the instance says ``translation.enabled: false``),
    and answers what Mastodon answers then: 404 (its TranslationService::NotConfiguredError
    is rescued as not found). A status it would never translate, private or direct, is a
    403 first, as Mastodon refuses it before looking for a service."""
    gw, status, _ = await visible_status(request, status_id)
    await gw.user(request)  # Mastodon's require_user!: an app's token is refused
    if status.visibility in ("private", "direct"):
        raise errors.Forbidden("This action is not allowed")
    raise errors.NotFound("Record not found")


ROUTES = [mute_thread, unmute_thread, translate]
