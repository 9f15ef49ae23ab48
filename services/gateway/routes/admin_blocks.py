"""Mastodon's admin API for sign-up blocks, for a network's owners and admins, on their own
network (another network's block: 404): canonical e-mail blocks, e-mail domain blocks and IP
blocks, each with Mastodon's granular admin scopes. Graph keeps them and applies them to
sign-ups (services/graph/use_cases/sign_up_blocks.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.audit import audit_context
from services.gateway.context import gateway_of
from services.gateway.presenters.moderation import sign_up_block
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts.moderation import (
    BlockKind,
    BlockRef,
    BlocksQuery,
    CheckEmail,
    SaveBlock,
)
from shared.ids import parse_id

CANONICAL = "/api/v1/admin/canonical_email_blocks"
DOMAINS = "/api/v1/admin/email_domain_blocks"
IPS = "/api/v1/admin/ip_blocks"
DEFAULT_LIMIT, MAX_LIMIT = 100, 200


class PageParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = DEFAULT_LIMIT


async def _list(request: Request[Any, Any, Any], kind: BlockKind) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, PageParams, body=False)
    reply = await bus.call(gw.nc, graph_api.ADMIN_BLOCKS, BlocksQuery(
        account_id=me.id, kind=kind, max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
        min_id=parse_id(p.min_id), limit=max(1, min(p.limit, MAX_LIMIT))))
    shaped = [sign_up_block(b) for b in reply.blocks]
    return responses.json(shaped, headers=responses.link_header(request, gw.base_url, shaped))


def _block_id(value: str) -> int:
    found = parse_id(value)
    if found is None:
        raise errors.NotFound("Record not found")
    return found


async def _get(request: Request[Any, Any, Any], kind: BlockKind, block_id: str
               ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    found = await bus.call(gw.nc, graph_api.ADMIN_BLOCK_GET,
                           BlockRef(account_id=me.id, kind=kind, id=_block_id(block_id)))
    return responses.json(sign_up_block(found))


async def _delete(request: Request[Any, Any, Any], kind: BlockKind, block_id: str
                  ) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    await bus.call(gw.nc, graph_api.ADMIN_BLOCK_DELETE, BlockRef(
        account_id=me.id, kind=kind, id=_block_id(block_id),
        audit=audit_context(request, caller)))
    return responses.json({})  # Mastodon answers a deletion with an empty object


async def _save(request: Request[Any, Any, Any], kind: BlockKind, **fields: Any
                ) -> Response[Any]:
    gw = gateway_of(request)
    caller, me = await gw.user(request)
    saved = await bus.call(gw.nc, graph_api.ADMIN_BLOCK_SAVE, SaveBlock(
        account_id=me.id, kind=kind, audit=audit_context(request, caller), **fields))
    return responses.json(sign_up_block(saved))


# --- canonical e-mail blocks -------------------------------------------------------------------

class CanonicalParams(params.Params):
    email: str | None = None
    canonical_email_hash: str | None = None


class EmailParams(params.Params):
    email: str


@get(CANONICAL, opt=needs("admin:read:canonical_email_blocks"))
async def list_canonical(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _list(request, "canonical_email")


@get(f"{CANONICAL}/{{block_id:str}}", opt=needs("admin:read:canonical_email_blocks"))
async def get_canonical(request: Request[Any, Any, Any], block_id: FromPath[str]
                        ) -> Response[Any]:
    return await _get(request, "canonical_email", block_id)


@post(f"{CANONICAL}/test", status_code=200, opt=needs("admin:read:canonical_email_blocks"))
async def test_canonical(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, EmailParams)
    reply = await bus.call(gw.nc, graph_api.ADMIN_BLOCK_TEST,
                           CheckEmail(account_id=me.id, email=p.email))
    return responses.json([sign_up_block(b) for b in reply.blocks])


@post(CANONICAL, status_code=200, opt=needs("admin:write:canonical_email_blocks"))
async def create_canonical(request: Request[Any, Any, Any]) -> Response[Any]:
    p = await params.read(request, CanonicalParams)
    if not p.email and not p.canonical_email_hash:
        raise errors.Invalid("Validation failed: email or canonical_email_hash is needed")
    return await _save(request, "canonical_email", email=p.email or None,
                       value=p.canonical_email_hash)


@delete(f"{CANONICAL}/{{block_id:str}}", status_code=200,
        opt=needs("admin:write:canonical_email_blocks"))
async def delete_canonical(request: Request[Any, Any, Any], block_id: FromPath[str]
                           ) -> Response[Any]:
    return await _delete(request, "canonical_email", block_id)


# --- e-mail domain blocks ----------------------------------------------------------------------

class DomainParams(params.Params):
    domain: str


@get(DOMAINS, opt=needs("admin:read:email_domain_blocks"))
async def list_domains(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _list(request, "email_domain")


@get(f"{DOMAINS}/{{block_id:str}}", opt=needs("admin:read:email_domain_blocks"))
async def get_domain(request: Request[Any, Any, Any], block_id: FromPath[str]
                     ) -> Response[Any]:
    return await _get(request, "email_domain", block_id)


@post(DOMAINS, status_code=200, opt=needs("admin:write:email_domain_blocks"))
async def create_domain(request: Request[Any, Any, Any]) -> Response[Any]:
    p = await params.read(request, DomainParams)
    return await _save(request, "email_domain", value=p.domain)


@delete(f"{DOMAINS}/{{block_id:str}}", status_code=200,
        opt=needs("admin:write:email_domain_blocks"))
async def delete_domain(request: Request[Any, Any, Any], block_id: FromPath[str]
                        ) -> Response[Any]:
    return await _delete(request, "email_domain", block_id)


# --- IP blocks -----------------------------------------------------------------------------------

class IpParams(params.Params):
    ip: str | None = None
    severity: str | None = None
    comment: str | None = None
    expires_in: int | None = None


@get(IPS, opt=needs("admin:read:ip_blocks"))
async def list_ips(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _list(request, "ip")


@get(f"{IPS}/{{block_id:str}}", opt=needs("admin:read:ip_blocks"))
async def get_ip(request: Request[Any, Any, Any], block_id: FromPath[str]) -> Response[Any]:
    return await _get(request, "ip", block_id)


@post(IPS, status_code=200, opt=needs("admin:write:ip_blocks"))
async def create_ip(request: Request[Any, Any, Any]) -> Response[Any]:
    p = await params.read(request, IpParams)
    if not p.ip:
        raise errors.Invalid("Validation failed: ip can't be blank",
                             {"ip": [(errors.BLANK, "can't be blank")]})
    return await _save(request, "ip", value=p.ip, severity=p.severity, comment=p.comment,
                       expires_in=p.expires_in)


@put(f"{IPS}/{{block_id:str}}", opt=needs("admin:write:ip_blocks"))
async def update_ip(request: Request[Any, Any, Any], block_id: FromPath[str]) -> Response[Any]:
    p = await params.read(request, IpParams)
    return await _save(request, "ip", id=_block_id(block_id), value=p.ip or None,
                       severity=p.severity, comment=p.comment, expires_in=p.expires_in)


@delete(f"{IPS}/{{block_id:str}}", status_code=200, opt=needs("admin:write:ip_blocks"))
async def delete_ip(request: Request[Any, Any, Any], block_id: FromPath[str]) -> Response[Any]:
    return await _delete(request, "ip", block_id)


ROUTES = [list_canonical, get_canonical, test_canonical, create_canonical, delete_canonical,
          list_domains, get_domain, create_domain, delete_domain,
          list_ips, get_ip, create_ip, update_ip, delete_ip]
