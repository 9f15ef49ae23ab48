"""OAuth against RFC 9700 (the OAuth 2.0 Security BCP): PKCE S256 required (but of the apps a
network's admins trust with the older flows, as Mastodon.py and toot need) and no downgrade, no
automatic redirect on a bad request, redirect URIs that cannot be anything, the password grant
only where a network's admins allow the app, forwarded headers only from trusted proxies."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
from litestar import Litestar, Request, get

from services.gateway import proxies
from services.gateway.app import create_app
from services.gateway.server import uvicorn_config
from services.gateway.tokens import digest
from shared.infra import free_port
from shared.settings import Settings
from tests.helpers import Api, User, other_domain
from tests.helpers.oauth import (
    OOB,
    REDIRECT,
    csrf,
    exchange,
    invalid_grant,
    pkce,
    query,
    register_app,
)

NETWORK = "/api/hubbub/v1/network"


def shown_not_redirected(r: httpx.Response) -> bool:
    return r.status_code == 400 and "location" not in r.headers


async def sign_in_without_pkce(api: Api, app: dict[str, Any], user: User | None = None,
                               **extra: str) -> httpx.Response:
    """Posts the sign-in form with the person's credentials, but no (or a weak) challenge."""
    user = user or await api.user()
    page = await api.client.get("/oauth/authorize", params=query(app, pkce()[1]))
    return await api.client.post("/oauth/authorize", data={
        **query(app, None, **extra), "csrf": csrf(page), "login": user.email,
        "password": user.password, "decision": "allow"})


def code_in(r: httpx.Response) -> str | None:
    found = re.search(r"[?&]code=([^&]+)", r.headers.get("location", ""))
    return found.group(1) if found else None


# --- PKCE ---------------------------------------------------------------------------------------

async def test_authorization_without_pkce_is_refused(api: Api) -> None:
    """No challenge: the sign-in page, as on Mastodon (the person's network is not known
    before they sign in), then no code, whatever the client sends next."""
    app = await register_app(api)
    page = await api.client.get("/oauth/authorize", params=query(app, None))
    assert page.status_code == 200 and 'name="code_challenge"' not in page.text
    r = await sign_in_without_pkce(api, app)
    assert shown_not_redirected(r) and "code_challenge is required" in r.text
    assert code_in(r) is None and "auth-code" not in r.text
    # A method with no challenge is not "no PKCE": refused before anyone signs in.
    page = await api.client.get("/oauth/authorize", params=query(
        app, None, code_challenge_method="S256"))
    assert shown_not_redirected(page) and "must be S256" in page.text


async def test_a_network_may_trust_an_app_without_pkce_and_take_it_back(api: Api) -> None:
    """What Mastodon.py and toot need: the code flow with no challenge, for an app the admins
    listed (the list that allows the password grant). The code is redeemed without a verifier
    by that app only, while it is listed; a verifier sent for it is a downgrade."""
    domain = other_domain()
    admin, member = await api.user(domain=domain), await api.user(domain=domain)
    app = await register_app(api)
    r = await api.client.patch(NETWORK, headers=admin.headers,
                               json={"password_grant_apps": [app["client_id"]]})
    assert r.status_code == 200, r.text
    code = code_in(await sign_in_without_pkce(api, app, member))
    assert code is not None
    assert invalid_grant(await exchange(api, app, code, pkce()[0]))  # the downgrade
    code = code_in(await sign_in_without_pkce(api, app, member))
    assert code is not None
    token = await exchange(api, app, code, None)
    assert token.status_code == 200, token.text
    # Another network's person gets no such code from the same app.
    r = await sign_in_without_pkce(api, app, await api.user(domain=other_domain()))
    assert shown_not_redirected(r) and code_in(r) is None
    # Taken off the list: a code issued before is refused at the exchange.
    code = code_in(await sign_in_without_pkce(api, app, member))
    assert code is not None
    r = await api.client.patch(NETWORK, headers=admin.headers, json={"password_grant_apps": []})
    assert r.status_code == 200, r.text
    assert invalid_grant(await exchange(api, app, code, None))
    assert shown_not_redirected(await sign_in_without_pkce(api, app, member))


async def test_plain_pkce_is_refused(api: Api) -> None:
    app = await register_app(api)
    plain = "p" * 43
    for method in ("plain", ""):  # no method means plain (RFC 7636 4.3)
        page = await api.client.get("/oauth/authorize", params=query(
            app, plain, code_challenge_method=method))
        assert shown_not_redirected(page) and "must be S256" in page.text
        r = await sign_in_without_pkce(api, app, code_challenge=plain,
                                       code_challenge_method=method)
        assert shown_not_redirected(r)


async def test_pkce_downgrade_is_refused(api: Api) -> None:
    app = await register_app(api)
    verifier, _ = pkce()
    # Through the pages: no code is issued without a challenge to an app nobody trusts...
    r = await sign_in_without_pkce(api, app)
    code = code_in(r)
    if code is not None:
        assert invalid_grant(await exchange(api, app, code, verifier))
    assert shown_not_redirected(r)
    # ...and one stored without a challenge is refused, with a verifier or without.
    app_id = await api.stack.gateway.pool.fetchval(
        "SELECT id FROM apps WHERE client_id = $1", app["client_id"])
    user = await api.user()
    for legacy, sent in (("legacy-code-1-" + verifier, verifier), ("legacy-code-2-" + verifier,
                                                                   None)):
        await api.stack.gateway.pool.execute(
            "INSERT INTO authorization_codes (code_hash, app_id, account_id, redirect_uri, "
            "scopes, code_challenge, expires_at) VALUES ($1, $2, $3, $4, 'read', NULL, $5)",
            digest(legacy), app_id, int(user.id), REDIRECT,
            dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
        assert invalid_grant(await exchange(api, app, legacy, sent))


# --- no open redirector -------------------------------------------------------------------------

async def test_bad_parameters_show_a_page_never_a_redirect(api: Api) -> None:
    app = await register_app(api)
    challenge = pkce()[1]
    bad_requests = [
        # before the client and redirect URI are validated
        query(app, challenge, client_id="nobody", response_type="token"),
        query(app, challenge, redirect_uri="https://evil.example/cb", scope="admin:write"),
        # after: the app's registered URI is the attacker's own, so it is not trusted either
        query(app, challenge, response_type="token"),
        query(app, challenge, scope="admin:write"),
    ]
    for params in bad_requests:
        r = await api.client.get("/oauth/authorize", params=params)
        assert shown_not_redirected(r), (params, r.headers.get("location"))
        # A cross-site form posting the same request gets the same page.
        r = await api.client.post("/oauth/authorize", data={**params, "login": "a",
                                                             "password": "b"})
        assert shown_not_redirected(r), (params, r.headers.get("location"))
    # Once validated, the page offers the way back with the error; the person decides.
    r = await api.client.get("/oauth/authorize", params=bad_requests[-1])
    link = html.unescape(re.search(r'<a href="([^"]+)"[^>]*>Return to', r.text).group(1))
    assert link.startswith(REDIRECT + "?") and "error=invalid_scope" in link
    unknown = await api.client.get("/oauth/authorize", params=bad_requests[0])
    assert "Return to" not in unknown.text


# --- redirect URIs ------------------------------------------------------------------------------

REFUSED_URIS = [
    "javascript:alert(1)", "javascript://example.com/%0Aalert(1)", "data:text/html,<b>x</b>",
    "data://text/html,x", "foo://callback", "http://example.com/callback",
    "https://app.example/callback#fragment", "com.example.app:/callback#x",
    "https://user:secret@app.example/callback", "vbscript://x", "https:///no-host",
]
ACCEPTED_URIS = ["com.example.app:/callback", "http://127.0.0.1:1234/callback",
                 "http://[::1]/callback", "https://app.example/callback", OOB]


async def test_redirect_uris_are_checked_at_registration(api: Api) -> None:
    for uri in REFUSED_URIS:
        r = await api.client.post("/api/v1/apps", data={"client_name": "x",
                                                        "redirect_uris": uri})
        assert r.status_code == 422, (uri, r.text)
        assert "redirect URI" in r.json()["error"], uri
    for uri in ACCEPTED_URIS:
        r = await api.client.post("/api/v1/apps", data={"client_name": "x",
                                                        "redirect_uris": uri})
        assert r.status_code == 200, (uri, r.text)
    # One bad URI among good ones spoils the registration.
    r = await api.client.post("/api/v1/apps", json={
        "client_name": "x", "redirect_uris": ["https://app.example/cb", "foo://cb"]})
    assert r.status_code == 422


async def test_authorize_matches_registered_uris_exactly_but_loopback_ports(api: Api) -> None:
    app = await register_app(api, redirect_uris="http://127.0.0.1:1234/callback")
    challenge = pkce()[1]
    # A native app picks its loopback port when it starts listening (RFC 8252 7.3).
    ok = await api.client.get("/oauth/authorize", params=query(
        app, challenge, redirect_uri="http://127.0.0.1:5555/callback"))
    assert ok.status_code == 200, ok.text
    for other in ("http://127.0.0.1:5555/elsewhere", "http://127.0.0.1:5555/callback#x",
                  "http://localhost:1234/callback", "https://127.0.0.1:1234/callback"):
        r = await api.client.get("/oauth/authorize", params=query(app, challenge,
                                                                   redirect_uri=other))
        assert shown_not_redirected(r) and "redirect URI does not match" in r.text, other
    # An app registered before the rules is held to them at the authorization request.
    old = await register_app(api, redirect_uris="https://app.example/cb")
    await api.stack.gateway.pool.execute(
        "UPDATE apps SET redirect_uris = 'foo://cb' WHERE client_id = $1", old["client_id"])
    r = await api.client.get("/oauth/authorize", params=query(old, challenge,
                                                               redirect_uri="foo://cb"))
    assert shown_not_redirected(r)


# --- the password grant -------------------------------------------------------------------------

async def password_grant(api: Api, app: dict[str, Any], email: str) -> httpx.Response:
    return await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": email,
        "password": "correct horse battery", "scope": "read"})


async def test_password_grant_only_for_apps_the_network_allows(api: Api) -> None:
    domain = other_domain()
    admin, member = await api.user(domain=domain), await api.user(domain=domain)
    app, other_app = await register_app(api), await register_app(api)
    assert (await api.client.get(NETWORK, headers=member.headers)).json()[
        "password_grant_apps"] == []
    refused = await password_grant(api, app, member.email)
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"

    # Only an admin may allow it, and only with client_ids.
    r = await api.client.patch(NETWORK, headers=member.headers,
                               json={"password_grant_apps": [app["client_id"]]})
    assert r.status_code == 403
    r = await api.client.patch(NETWORK, headers=admin.headers,
                               json={"password_grant_apps": ["not a client id!"]})
    assert r.status_code == 422
    r = await api.client.patch(NETWORK, headers=admin.headers,
                               json={"password_grant_apps": [app["client_id"]]})
    assert r.status_code == 200 and r.json()["password_grant_apps"] == [app["client_id"]]

    allowed = await password_grant(api, app, member.email)
    assert allowed.status_code == 200, allowed.text
    assert (await password_grant(api, other_app, member.email)).json()[
        "error"] == "unauthorized_client"
    # Another network's list does not reach here.
    stranger = await api.user(domain=other_domain())
    assert (await password_grant(api, app, stranger.email)).status_code == 400


# --- behind a proxy -----------------------------------------------------------------------------

@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """The app behind the gateway's own uvicorn configuration, on loopback."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, Settings(), host="127.0.0.1", port=port))
    task = asyncio.create_task(server.serve())
    try:
        gateway = getattr(getattr(app, "state", None), "gateway", None)
        while not (server.started and (gateway is None or gateway.ready)):
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def trusting(settings: Settings, *proxies: str) -> Settings:
    return msgspec.structs.replace(settings, trusted_proxies=proxies)


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


async def test_csrf_cookie_is_secure_behind_a_trusted_tls_proxy(api: Api) -> None:
    app = await register_app(api)
    params = query(app, pkce()[1])
    for trusted, secure in ((("127.0.0.1/32",), True), (("10.0.0.0/8",), False), ((), False)):
        async with served(create_app(trusting(api.stack.settings, *trusted))) as base_url, \
                httpx.AsyncClient(base_url=base_url) as client:
            page = await client.get("/oauth/authorize", params=params, headers=FORWARDED)
            assert page.status_code == 200, page.text
            cookie = page.headers["set-cookie"].lower()
            assert ("; secure" in cookie) is secure, (trusted, cookie)


@get("/whoami", sync_to_thread=False)
def whoami(request: Request) -> dict[str, str]:
    return {"client": request.client.host if request.client else "",
            "scheme": request.url.scheme}


async def test_client_address_is_forwarded_only_from_a_trusted_proxy(api: Api) -> None:
    for trusted, expected in ((("127.0.0.1",), {"client": "203.0.113.7", "scheme": "https"}),
                              (("10.0.0.0/8",), {"client": "127.0.0.1", "scheme": "http"}),
                              ((), {"client": "127.0.0.1", "scheme": "http"})):
        probe = Litestar([whoami], middleware=proxies.middleware(
            trusting(api.stack.settings, *trusted)))
        async with served(probe) as base_url, httpx.AsyncClient(base_url=base_url) as client:
            # A client behind the proxy forged a first hop: the proxy's own entry wins.
            r = await client.get("/whoami", headers={
                **FORWARDED, "X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
            assert r.json() == expected, trusted


def test_trusted_proxies_setting_refuses_what_is_not_an_address() -> None:
    from shared.settings import from_env

    assert from_env({"HUBBUB_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5 ::1"}).trusted_proxies \
        == ("10.0.0.0/8", "192.168.1.5/32", "::1/128")
    assert from_env({}).trusted_proxies == ()
    try:
        from_env({"HUBBUB_TRUSTED_PROXIES": "proxy.internal"})
    except ValueError as error:
        assert "HUBBUB_TRUSTED_PROXIES" in str(error)
    else:
        raise AssertionError("a host name was accepted as a trusted proxy")
