"""How clients and tools find out what Hubbub is before they sign in: OAuth server metadata
(RFC 8414), NodeInfo 2.0/2.1, host-meta and WebFinger, answering for the configured domain.

What a stranger may learn here, Hubbub being a company's network: what software this is, that
sign-up is open (as /api/v2/instance already says), and, through WebFinger, that an exact
username exists and where its profile is, but only for accounts that chose to be discoverable
(the same choice that lists them in suggestions) and are not deactivated. No counts: a server
holds many companies' networks, and how many people one of them has is not ours to publish
(NodeInfo's ``usage.users`` is left empty, which its schema allows). These paths are counted
per client address with the API (rate_limits.counted_path), so guessing usernames is slow."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

import msgspec
from litestar import Request, Response, get

from services.gateway import responses, scopes
from services.gateway.context import Gateway, gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import PUBLIC
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.records import AccountRecord

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
# acct:user@host (RFC 7565); the user part is matched against usernames after parsing.
ACCT = re.compile(r"^acct:@?([^@\s/]{1,64})@([A-Za-z0-9.\-]{1,253}(?::\d{1,5})?)$")
USERNAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")


@get("/.well-known/oauth-authorization-server", sync_to_thread=False, opt=PUBLIC)
def oauth_metadata(request: Request[Any, Any, Any]) -> Response[Any]:
    """RFC 8414 metadata as Mastodon 4.3 publishes it (with its ``app_registration_endpoint``),
    stating only what Hubbub does: code flow with PKCE S256 (plain is refused), the client
    secret in the body, the scopes scopes.py accepts. The password grant, and the code flow
    without PKCE, are there because networks may allow them for named apps
    (application/oauth_trust.py); others are refused them."""
    base = gateway_of(request).base_url
    return responses.json({
        "issuer": f"{base}/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": sorted(scopes.KNOWN),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials", "password"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    })


@get("/.well-known/nodeinfo", sync_to_thread=False, opt=PUBLIC)
def nodeinfo_links(request: Request[Any, Any, Any]) -> Response[Any]:
    base = gateway_of(request).base_url
    return responses.json({"links": [
        {"rel": f"{NODEINFO_SCHEMA}{v}", "href": f"{base}/nodeinfo/{v}"} for v in ("2.0", "2.1")]})


def _nodeinfo(gw: Gateway, version: str) -> dict[str, Any]:
    software: dict[str, str] = {"name": "hubbub", "version": mastodon.HUBBUB_VERSION}
    if version == "2.1":
        software["homepage"] = gw.base_url
    return {
        "version": version,
        "software": software,
        # Hubbub does not federate: no ActivityPub. (The 2.0 schema asks for one protocol at
        # least; naming one we do not speak would send other servers here to deliver posts.)
        "protocols": [],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": mastodon.registrations_open(gw.settings.registrations),
        "usage": {"users": {}},  # no counts published: see the module's docstring
        "metadata": {"nodeName": gw.settings.instance_title},
    }


@get("/nodeinfo/2.0", sync_to_thread=False, opt=PUBLIC)
def nodeinfo_20(request: Request[Any, Any, Any]) -> Response[Any]:
    return responses.json(_nodeinfo(gateway_of(request), "2.0"))


@get("/nodeinfo/2.1", sync_to_thread=False, opt=PUBLIC)
def nodeinfo_21(request: Request[Any, Any, Any]) -> Response[Any]:
    return responses.json(_nodeinfo(gateway_of(request), "2.1"))


@get("/.well-known/host-meta", sync_to_thread=False, opt=PUBLIC)
def host_meta(request: Request[Any, Any, Any]) -> Response[Any]:
    template = f"{gateway_of(request).base_url}/.well-known/webfinger?resource={{uri}}"
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
            f'  <Link rel="lrdd" template={quoteattr(template)}/>\n</XRD>\n')
    return Response(content=body.encode(), media_type="application/xrd+xml")


def _username_in(gw: Gateway, resource: str) -> tuple[str, str | None]:
    """The username a resource names and the domain it gives (None for a profile URL), or
    BadRequest: ``acct:user@domain`` or this server's ``https://host/@user``."""
    if len(resource) > 600:
        raise errors.BadRequest("resource is too long")
    found = ACCT.match(resource)
    if found:
        return found.group(1), found.group(2).lower()
    profile = f"{gw.base_url}/@"
    if resource.startswith(profile) and "/" not in resource[len(profile):]:
        return resource[len(profile):], None
    raise errors.BadRequest("resource must be acct:user@domain or a profile URL")


def _ours(gw: Gateway, domain: str | None, account: AccountRecord) -> bool:
    """The configured domain, the public URL's host, or the account's own network's domain."""
    if domain is None:
        return True
    own = {gw.settings.instance_domain.lower(), account.network_domain.lower(),
           (urlsplit(gw.base_url).netloc or "").lower()}
    return domain in own


@get("/.well-known/webfinger", opt=PUBLIC)
async def webfinger(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    resource = request.query_params.get("resource", "")
    if not resource or "\x00" in resource:
        raise errors.BadRequest("resource is required")
    username, domain = _username_in(gw, resource)
    if not USERNAME.match(username):
        raise errors.NotFound("Not found")
    found = await bus.call(gw.nc, graph_api.ACCOUNT_LOOKUP,
                           graph_api.LookupAccounts(usernames=[username]))
    account = next((a for a in found.accounts if a.username.lower() == username.lower()), None)
    # Not found, gone, not discoverable, or asked under another network's domain: one answer.
    if (account is None or account.deactivated or not account.discoverable
            or not _ours(gw, domain, account)):
        raise errors.NotFound("Not found")
    profile = f"{gw.base_url}/@{account.username}"
    return Response(content=msgspec.json.encode({
        "subject": f"acct:{account.username}@{gw.settings.instance_domain}",
        "aliases": [profile],
        "links": [{"rel": PROFILE_PAGE, "type": "text/html", "href": profile}],
    }), media_type="application/jrd+json")


ROUTES = [oauth_metadata, nodeinfo_links, nodeinfo_20, nodeinfo_21, host_meta, webfinger]
