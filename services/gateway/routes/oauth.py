"""OAuth 2 as Mastodon clients use it: register an app, get tokens, revoke them."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from services.gateway import params, rate_limits, redirect_uris, responses, tokens
from services.gateway.application import oauth_trust
from services.gateway.context import gateway_of
from services.gateway.presenters.apps import app_json
from services.gateway.scopes import PUBLIC, needs
from services.gateway.store import oauth_codes
from shared import bus, errors
from shared.contracts import graph as graph_api

OOB = redirect_uris.OOB


class AppParams(params.Params):
    client_name: str
    redirect_uris: str | list[str] = OOB
    scopes: str = tokens.DEFAULT_SCOPES
    website: str | None = None


@post("/api/v1/apps", opt=PUBLIC)
async def create_app(request: Request[Any, Any, Any]) -> Response[Any]:
    await gateway_of(request).rate_limits.take(rate_limits.host_of(request), "apps")
    p = await params.read(request, AppParams)
    name = p.client_name.strip()
    if not name or len(name) > 100:
        raise errors.Invalid("Validation failed: client_name must be 1 to 100 characters")
    uris = p.redirect_uris if isinstance(p.redirect_uris, list) else p.redirect_uris.split()
    if not uris:
        raise errors.Invalid("Validation failed: redirect_uris can't be blank")
    gw = gateway_of(request)
    for uri in uris:
        problem = redirect_uris.problem(uri, redirect_uris.origin_of(gw.base_url),
                                        gw.settings.oauth_extra_schemes)
        if problem is not None:
            raise errors.Invalid(f"Validation failed: redirect URI {uri[:200]!r} {problem}")
    scopes = tokens.parse_scopes(p.scopes)
    app, secret = await tokens.create_app(gw.pool, name=name, redirect_uris="\n".join(uris)
                                          .replace("\n", " "), scopes=scopes, website=p.website)
    return responses.json(app_json(app, secret, vapid_key=gw.vapid_public_key))


@get("/api/v1/apps/verify_credentials", opt=needs(user=False, pending=True))
async def verify_app(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    caller = await gw.caller(request)
    if caller is None:
        raise errors.Unauthorized("The access token is invalid")
    return responses.json({"id": str(caller.app_id), "name": caller.app_name,
                           "website": caller.app_website, "scopes": sorted(caller.scopes),
                           "vapid_key": gw.vapid_public_key})


class TokenParams(params.Params):
    grant_type: str
    client_id: str
    client_secret: str
    redirect_uri: str | None = None
    scope: str | None = None
    code: str | None = None
    code_verifier: str | None = None
    username: str | None = None
    password: str | None = None


def _oauth_error(code: str, description: str, status: int = 400) -> Response[Any]:
    return responses.json({"error": code, "error_description": description}, status)


@post("/oauth/token", opt=PUBLIC)
async def token(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    p = await params.read(request, TokenParams)
    try:
        app = await tokens.app_by_credentials(gw.pool, p.client_id, p.client_secret)
    except errors.Unauthorized as exc:
        return _oauth_error("invalid_client", exc.message, 401)
    try:
        scopes = tokens.parse_scopes(p.scope or app.scopes, allowed=app.scopes)
    except errors.Invalid as exc:
        return _oauth_error("invalid_scope", exc.message)
    if p.grant_type == "client_credentials":
        account_id = None
    elif p.grant_type == "password":
        if not p.username or not p.password:
            return _oauth_error("invalid_request", "username and password are required")
        login, password = p.username, p.password
        try:
            account = await gw.rate_limits.sign_in(
                rate_limits.host_of(request), login, lambda: bus.call(
                    gw.nc, graph_api.ACCOUNT_AUTHENTICATE,
                    graph_api.Authenticate(login=login, password=password)))
        except errors.Unauthorized:
            return _oauth_error("invalid_grant", "The provided authorization grant is invalid, "
                                "expired, revoked, does not match the redirection URI used in "
                                "the authorization request, or was issued to another client.")
        except errors.Forbidden as exc:  # the network requires single sign-on
            return _oauth_error("invalid_grant", f"{exc.message} Use the authorization_code "
                                "flow (PKCE).")
        # The password grant hands the person's password to the app (RFC 9700 2.4): only for
        # apps their network's admins listed.
        if not await oauth_trust.trusts_legacy_flows(gw, account.id, app.client_id):
            return _oauth_error("unauthorized_client",
                                "This network does not allow this app to use the password "
                                "grant: sign in with the authorization_code flow (PKCE).")
        account_id = account.id
    elif p.grant_type == "authorization_code":
        try:
            grant = await oauth_codes.redeem_code(
                gw.pool, app_id=app.id, code=p.code, redirect_uri=p.redirect_uri,
                on_revoked=gw.forget_token,
                code_verifier=p.code_verifier)
        except oauth_codes.InvalidGrant:
            return _oauth_error("invalid_grant", "The provided authorization grant is invalid, "
                                "expired, revoked, does not match the redirection URI used in "
                                "the authorization request, or was issued to another client.")
        if not grant.pkce and not await oauth_trust.trusts_legacy_flows(
                gw, grant.account_id, app.client_id):
            return _oauth_error("invalid_grant", "This code was issued without PKCE to an app "
                                "the network no longer allows to sign in without it.")
        account_id, scopes = grant.account_id, grant.scopes
    else:
        return _oauth_error("unsupported_grant_type",
                            "The authorization grant type is not supported by the server.")
    access_token, created = await tokens.issue_token(gw.pool, app_id=app.id,
                                                     account_id=account_id, scopes=scopes)
    if p.grant_type == "authorization_code" and p.code:
        await oauth_codes.remember_token(gw.pool, p.code, access_token)
    return responses.json({"access_token": access_token, "token_type": "Bearer",
                           "scope": scopes, "created_at": created})


class RevokeParams(params.Params):
    client_id: str
    client_secret: str
    token: str


@post("/oauth/revoke", opt=PUBLIC)
async def revoke(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    p = await params.read(request, RevokeParams)
    try:
        app = await tokens.app_by_credentials(gw.pool, p.client_id, p.client_secret)
    except errors.Unauthorized as exc:
        return _oauth_error("invalid_client", exc.message, 401)
    revoked = await tokens.revoke(gw.pool, p.token, app.id)
    if revoked is not None:
        await gw.forget_token(revoked)
    return responses.json({})


ROUTES = [create_app, verify_app, token, revoke]
