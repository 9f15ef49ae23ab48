"""Who gets in, the API side: resending the confirmation e-mail (Mastodon's
``/api/v1/emails/...``), and, for a network's admins, its claimed e-mail domains and the
approval queue (``/api/hubbub/v1/network/domains``, ``/requests``). Rights are checked by graph;
these routes need admin scopes besides, as every network admin route does."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.params import FromPath

from services.gateway import params, rate_limits, responses
from services.gateway.application.audit import audit_context
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts import membership as membership_api
from shared.ids import parse_id

PREFIX = "/api/hubbub/v1/network"


# --- the confirmation e-mail (Mastodon's API) ---------------------------------------------------

class ResendParams(params.Params):
    email: str | None = None  # a corrected address, before confirmation (as Mastodon)


@post("/api/v1/emails/confirmations", status_code=200,
      opt=needs("write:accounts", pending=True))
async def resend_confirmation(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    await gw.rate_limits.take(rate_limits.host_of(request), "confirmations")
    p = await params.read(request, ResendParams)
    await bus.call(gw.nc, graph_api.ACCOUNT_CONFIRMATION_RESEND,
                   membership_api.ResendConfirmation(account_id=me.id, email=p.email))
    return responses.json({})


@get("/api/v1/emails/check_confirmation", opt=needs("read:accounts", pending=True))
async def check_confirmation(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    return responses.json(me.confirmed)


# --- claimed domains ---------------------------------------------------------------------------

def _domains(found: membership_api.Domains) -> list[dict[str, Any]]:
    return [{"domain": d.domain, "claimed_at": mastodon.iso(d.claimed_at), "primary": d.primary}
            for d in found.domains]


@get(f"{PREFIX}/domains", opt=needs("admin:read"))
async def domains(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    found = await bus.call(gw.nc, graph_api.NETWORK_DOMAINS,
                           graph_api.NetworkRequest(account_id=me.id))
    return responses.json(_domains(found))


class DomainParams(params.Params):
    domain: str


@post(f"{PREFIX}/domains", status_code=200, opt=needs("admin:write"))
async def claim_domain(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    p = await params.read(request, DomainParams)
    found = await bus.call(gw.nc, graph_api.NETWORK_DOMAIN_CLAIM, membership_api.DomainChange(
        account_id=me.id, domain=p.domain, audit=audit_context(request, caller)))
    return responses.json(_domains(found))


@delete(f"{PREFIX}/domains/{{domain:str}}", status_code=200, opt=needs("admin:write"))
async def release_domain(request: Request[Any, Any, Any], domain: FromPath[str]
                         ) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    found = await bus.call(gw.nc, graph_api.NETWORK_DOMAIN_RELEASE, membership_api.DomainChange(
        account_id=me.id, domain=domain, audit=audit_context(request, caller)))
    return responses.json(_domains(found))


# --- the approval queue ------------------------------------------------------------------------

class RequestsParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


@get(f"{PREFIX}/requests", opt=needs("admin:read:accounts"))
async def requests(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, RequestsParams, body=False)
    page = graph_api.IdPage(max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
                            min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 80)))
    reply = await bus.call(gw.nc, graph_api.NETWORK_REQUESTS,
                           graph_api.NetworkMembersPage(account_id=me.id, page=page))
    shaped = [mastodon.account(a, gw.base_url) for a in reply.accounts]
    return responses.json(shaped, headers=responses.link_header(request, gw.base_url, shaped))


@post(f"{PREFIX}/requests/{{account_id:str}}/{{decision:str}}", status_code=200,
      opt=needs("admin:write:accounts"))
async def decide(request: Request[Any, Any, Any], account_id: FromPath[str],
                 decision: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    verb = {"approve": graph_api.NETWORK_REQUEST_APPROVE,
            "reject": graph_api.NETWORK_REQUEST_REJECT}.get(decision)
    target = parse_id(account_id)
    if verb is None or target is None:
        raise errors.NotFound("Record not found")
    account = await bus.call(gw.nc, verb, membership_api.ApprovalDecision(
        account_id=me.id, target_id=target, audit=audit_context(request, caller)))
    return responses.json(mastodon.account(account, gw.base_url))


ROUTES = [resend_confirmation, check_confirmation, domains, claim_domain, release_domain,
          requests, decide]
