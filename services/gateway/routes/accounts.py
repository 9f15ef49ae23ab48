"""Accounts: registration, the signed-in account, profiles, follows and relationships."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from services.gateway import params, rate_limits, responses, tokens
from services.gateway.application.accounts import credentials_of
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import MISSING_TOKEN, needs
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.ids import parse_id
from shared.records import AccountRecord


class RegisterParams(params.Params):
    username: str
    email: str
    password: str
    agreement: bool = False
    locale: str | None = None
    reason: str | None = None
    date_of_birth: str | None = None
    display_name: str = ""
    invite_code: str | None = None  # joins the network that invited this e-mail address


@post("/api/v1/accounts", opt=needs("write:accounts", user=False))
async def register(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller = await gw.caller(request)
    if caller is None:
        raise errors.Unauthorized(MISSING_TOKEN)
    await gw.rate_limits.take(rate_limits.host_of(request), "sign_up")
    p = await params.read(request, RegisterParams)
    if not p.agreement:  # as Mastodon: the instance's terms are agreed to, or nothing is made
        raise errors.Invalid("Validation failed: Agreement must be accepted",
                             {"agreement": [(errors.ACCEPTED, "must be accepted")]})
    account = await bus.call(
        gw.nc, graph_api.ACCOUNT_CREATE,
        graph_api.RegisterWithInvitation(username=p.username, email=p.email,
                                         password=p.password, display_name=p.display_name,
                                         locale=p.locale, invite_code=p.invite_code,
                                         ip=rate_limits.host_of(request)), timeout=10,
    )
    scopes = " ".join(sorted(s for s in caller.scopes)) or tokens.DEFAULT_SCOPES
    access_token, created = await tokens.issue_token(gw.pool, app_id=caller.app_id,
                                                     account_id=account.id, scopes=scopes)
    return responses.json({"access_token": access_token, "token_type": "Bearer",
                           "scope": scopes, "created_at": created})


@get("/api/v1/accounts/verify_credentials", opt=needs("read:accounts", "profile"))
async def verify_credentials(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, account = await gw.user(request)
    creds = await credentials_of(gw, account.id)
    return responses.json(mastodon.credential_account(
        account, gw.base_url, privacy=creds.privacy, sensitive=creds.sensitive,
        language=creds.language))


@get("/api/v1/accounts/{account_id:str}", opt=needs("read:accounts", anonymous=True))
async def get_account(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    await gw.caller(request)  # a bad token is a 401 even where anonymous reads are allowed
    target = await _account_or_404(request, account_id)
    return responses.json(mastodon.account(target, gw.base_url))


class AccountsParams(params.Params):
    id: list[str] = []  # id[]=1&id[]=2 (Mastodon's "view multiple profiles")


MAX_ACCOUNTS = 40  # ids looked at in one request; more are ignored, as a page would cut them


@get("/api/v1/accounts", opt=needs("read:accounts"))
async def get_accounts(request: Request[Any, Any, Any]) -> Response[Any]:
    """The accounts among ``id[]`` the reader may see, in the order asked; an id that is unknown
    or another network's is left out, as Mastodon leaves out what it does not find."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, AccountsParams, body=False)
    ids = list(dict.fromkeys(i for i in map(parse_id, p.id[:MAX_ACCOUNTS]) if i is not None))
    visible = await gw.visible_accounts(me.id, ids) if ids else set()
    found = await gw.hydrator.accounts([i for i in ids if i in visible])
    return responses.json([mastodon.account(found[i], gw.base_url) for i in ids if i in found])


class FollowParams(params.Params):
    reblogs: bool = True
    notify: bool = False
    languages: list[str] | None = None


@post("/api/v1/accounts/{account_id:str}/follow", opt=needs("write:follows"))
async def follow(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    target = await _account_or_404(request, account_id)
    p = await params.read(request, FollowParams)
    rel = await bus.call(gw.nc, graph_api.FOLLOW_CREATE,
                         graph_api.Follow(follower_id=me.id, followee_id=target.id,
                                          reblogs=p.reblogs, notify=p.notify))
    return responses.json(mastodon.relationship(rel))


@post("/api/v1/accounts/{account_id:str}/unfollow", opt=needs("write:follows"))
async def unfollow(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    target = await _account_or_404(request, account_id)
    rel = await bus.call(gw.nc, graph_api.FOLLOW_REMOVE,
                         graph_api.Unfollow(follower_id=me.id, followee_id=target.id))
    return responses.json(mastodon.relationship(rel))


class RelationshipParams(params.Params):
    id: list[str] | str = []
    with_suspended: bool = False


@get("/api/v1/accounts/relationships", opt=needs("read:follows"))
async def relationships(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, RelationshipParams)
    raw_ids = p.id if isinstance(p.id, list) else [p.id]
    ids = [i for i in (parse_id(r) for r in raw_ids) if i is not None]
    visible = await gw.visible_accounts(me.id, ids) if ids else set()
    ids = [i for i in ids if i in visible]
    if not ids:
        return responses.json([])
    reply = await bus.call(gw.nc, graph_api.RELATIONSHIPS,
                           graph_api.GetRelationships(account_id=me.id, ids=ids))
    return responses.json([mastodon.relationship(r) for r in reply.relationships])


async def _account_or_404(request: Request[Any, Any, Any], raw_id: str) -> AccountRecord:
    account_id = parse_id(raw_id)
    if account_id is None:
        raise errors.NotFound("Record not found")
    gw = gateway_of(request)
    caller = await gw.caller(request)
    account = await gw.hydrator.account(account_id)
    if account is None or caller is None or caller.account_id is None:
        raise errors.NotFound("Record not found")
    if account_id not in await gw.visible_accounts(caller.account_id, [account_id]):
        raise errors.NotFound("Record not found")  # another network's, not shared with you
    return account


# verify_credentials and relationships before the {account_id} route that would match them.
ROUTES = [register, get_accounts, verify_credentials, relationships, get_account, follow,
          unfollow]
