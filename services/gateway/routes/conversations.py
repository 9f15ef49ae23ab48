"""Direct conversations (Mastodon's /api/v1/conversations), as notify keeps them for each
participant, rendered for the reader (application/conversations.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application import conversations
from services.gateway.context import gateway_of
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import notify as notify_api
from shared.ids import parse_id


class ConversationParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 20


def _id_or_404(raw: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise errors.NotFound("Record not found")
    return parsed


@get("/api/v1/conversations", opt=needs("read:statuses"))
async def list_conversations(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    p = await params.read(request, ConversationParams, body=False)
    reply = await bus.call(gw.nc, notify_api.CONVERSATION_LIST, notify_api.ListConversations(
        account_id=me.id, max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
        min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 40))))
    found = reply.conversations
    shaped = await conversations.render(gw, found, await gw.viewer(caller))
    # Paged by the last status, as Mastodon pages them (its Link names last_status ids).
    headers = (responses.cursor_link_header(request, gw.base_url, found[0].last_status_id,
                                            found[-1].last_status_id) if found else {})
    return responses.json(shaped, headers=headers)


@delete("/api/v1/conversations/{conversation_id:str}", opt=needs("write:conversations"),
        status_code=200)
async def remove(request: Request[Any, Any, Any], conversation_id: FromPath[str]
                 ) -> Response[Any]:
    """Off the caller's list only; a new status in it brings it back."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    await bus.call(gw.nc, notify_api.CONVERSATION_REMOVE, notify_api.ConversationRef(
        account_id=me.id, id=_id_or_404(conversation_id)))
    return responses.json({})


@post("/api/v1/conversations/{conversation_id:str}/read", opt=needs("write:conversations"))
async def mark_read(request: Request[Any, Any, Any], conversation_id: FromPath[str]
                    ) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    record = await bus.call(gw.nc, notify_api.CONVERSATION_READ, notify_api.ConversationRef(
        account_id=me.id, id=_id_or_404(conversation_id)))
    [shaped] = await conversations.render(gw, [record], await gw.viewer(caller))
    return responses.json(shaped)


ROUTES = [list_conversations, remove, mark_read]
