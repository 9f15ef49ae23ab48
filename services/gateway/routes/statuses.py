"""Statuses: post one, read one (through the visibility policy)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.context import gateway_of
from shared import bus, errors, policy
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.ids import parse_id
from shared.records import StatusRecord


class StatusParams(params.Params):
    status: str = ""
    in_reply_to_id: str | None = None
    sensitive: bool = False
    spoiler_text: str = ""
    visibility: str = "public"
    language: str | None = None
    media_ids: list[str] = []
    scheduled_at: str | None = None
    quoted_status_id: str | None = None
    quote_approval_policy: str | None = None


@post("/api/v1/statuses")
async def create_status(request: Request) -> Response:
    gw = gateway_of(request)
    caller, me = await gw.user(request, scope="write")
    p = await params.read(request, StatusParams)
    if p.media_ids:
        raise errors.Invalid("Validation failed: media attachments are not supported yet")
    if p.scheduled_at:
        raise errors.Invalid("Validation failed: scheduled posts are not supported yet")
    reply_to = None
    if p.in_reply_to_id:
        reply_to = parse_id(p.in_reply_to_id)
        if reply_to is None:
            raise errors.NotFound("Record not found")
    key = request.headers.get("idempotency-key")
    assert gw.nc is not None and gw.hydrator is not None
    status = await bus.request(
        gw.nc, "posts", "status.create",
        posts_api.CreateStatus(
            account_id=me.id, network_id=me.network_id, text=p.status,
            visibility=p.visibility, spoiler_text=p.spoiler_text, sensitive=p.sensitive,
            language=p.language, in_reply_to_id=reply_to,
            idempotency_key=f"{caller.app_id}:{key}" if key else None,
        ),
        StatusRecord, timeout=10,
    )
    [rendered] = await gw.hydrator.render_statuses([status])
    return responses.json(rendered)


@get("/api/v1/statuses/{status_id:str}")
async def get_status(request: Request, status_id: FromPath[str]) -> Response:
    gw = gateway_of(request)
    caller = await gw.caller(request)
    parsed = parse_id(status_id)
    assert gw.hydrator is not None and gw.nc is not None
    found = await gw.hydrator.statuses([parsed]) if parsed is not None else {}
    status = found.get(parsed)  # type: ignore[arg-type]
    if status is None:
        raise errors.NotFound("Record not found")
    viewer = policy.ANONYMOUS
    if caller is not None and caller.account_id is not None:
        facts = await bus.request(gw.nc, "graph", "viewer.facts",
                                  graph_api.ViewerFacts(account_id=caller.account_id),
                                  graph_api.ViewerFactsReply)
        viewer = facts.viewer()
    if not policy.can_see(_facts(status), viewer):
        raise errors.NotFound("Record not found")  # not 403: do not reveal that it exists
    [rendered] = await gw.hydrator.render_statuses([status])
    return responses.json(rendered)


def _facts(status: StatusRecord) -> policy.PostFacts:
    return policy.PostFacts(author_id=status.account_id, network_id=status.network_id,
                            visibility=status.visibility, mentions=status.mentions,
                            community_id=status.community_id)


ROUTES = [create_status, get_status]
