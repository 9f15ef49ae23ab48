"""Polls: read one, vote."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import posts as posts_api
from shared.ids import parse_id


class VoteParams(params.Params):
    choices: list[int]


async def _poll(request: Request[Any, Any, Any], raw_id: str,
                choices: list[int] | None = None) -> Response[Any]:
    gw = gateway_of(request)
    caller = await gw.caller(request)
    poll_id = parse_id(raw_id)
    if poll_id is None:
        raise errors.NotFound("Record not found")
    if choices is not None:
        _, me = await gw.user(request)
        reply = await bus.call(gw.nc, posts_api.POLL_VOTE, posts_api.Vote(
            account_id=me.id, poll_id=poll_id, choices=choices))
    else:
        reply = await bus.call(gw.nc, posts_api.POLL_GET,
                               posts_api.GetPoll(poll_id=poll_id))
        if not await gw.hydrator.visible([reply.status], await gw.viewer(caller)):
            raise errors.NotFound("Record not found")
    own = None
    if caller is not None and caller.account_id is not None:
        flags = await bus.call(gw.nc, posts_api.STATUS_VIEWER_FLAGS,
                               posts_api.ViewerFlagsRequest(account_id=caller.account_id,
                                                            ids=[reply.status.id]))
        own = flags.poll_votes.get(reply.poll.id)
    return responses.json(mastodon.poll(reply.poll, own))


@get("/api/v1/polls/{poll_id:str}", opt=needs("read:statuses", anonymous=True))
async def get_poll(request: Request[Any, Any, Any], poll_id: FromPath[str]) -> Response[Any]:
    return await _poll(request, poll_id)


@post("/api/v1/polls/{poll_id:str}/votes", opt=needs("write:statuses"))
async def vote(request: Request[Any, Any, Any], poll_id: FromPath[str]) -> Response[Any]:
    p = await params.read(request, VoteParams)
    return await _poll(request, poll_id, p.choices)


ROUTES = [get_poll, vote]
