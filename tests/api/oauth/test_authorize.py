"""The OAuth authorization-code flow with PKCE (and without, for apps a network trusts), over
HTTP: the sign-in, sign-up and consent pages, codes that work once, and no redirect to anywhere
the app did not register."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.helpers import Api, other_domain, unique
from tests.helpers.mail_drop import link_in
from tests.helpers.oauth import (
    OOB,
    REDIRECT,
    code_of,
    csrf,
    exchange,
    invalid_grant,
    me,
    pkce,
    query,
    register_app,
    sign_in,
)


async def test_login_page_renders_with_escaped_parameters(api: Api) -> None:
    app = await register_app(api, name='<script>alert("app")</script>')
    _, challenge = pkce()
    params = query(app, challenge, state='"><img src=x onerror=alert(1)>')
    page = await api.client.get("/oauth/authorize", params=params)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&quot;app&quot;)&lt;/script&gt;" in page.text
    assert 'value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/oauth" in cookie
    # The sign-up page keeps the same OAuth parameters.
    assert 'href="/oauth/sign_up?' in page.text
    signup = await api.client.get("/oauth/sign_up", params=params)
    assert signup.status_code == 200 and 'action="/oauth/sign_up"' in signup.text


async def test_wrong_password_shows_the_page_again_with_an_error(api: Api) -> None:
    user = await api.user()
    app = await register_app(api)
    params = query(app, pkce()[1])
    r = await sign_in(api, params, user, password="not my password")
    assert r.status_code == 401 and "location" not in r.headers
    assert 'role="alert"' in r.text and "Invalid e-mail address or password" in r.text
    assert f'value="{html.escape(user.email)}"' in r.text  # the login stays, the password not
    assert "not my password" not in r.text


async def test_code_with_pkce_is_exchanged_once_and_only_once(api: Api) -> None:
    user = await api.user()
    app = await register_app(api)
    verifier, challenge = pkce()
    params = query(app, challenge)
    code = code_of(await sign_in(api, params, user), params)

    first = await exchange(api, app, code, verifier)
    assert first.status_code == 200, first.text
    token = first.json()["access_token"]
    assert first.json()["scope"] == "read write"
    assert (await me(api, token)).json()["id"] == user.id

    # A replay fails, and takes the token it bought with it (the code may have been stolen).
    assert invalid_grant(await exchange(api, app, code, verifier))
    assert (await me(api, token)).status_code == 401


async def test_wrong_verifier_redirect_or_client_is_invalid_grant(api: Api) -> None:
    user = await api.user()
    app, other_app = await register_app(api), await register_app(api)
    verifier, challenge = pkce()
    params = query(app, challenge)
    code = code_of(await sign_in(api, params, user), params)

    assert invalid_grant(await exchange(api, app, code, pkce()[0]))
    assert invalid_grant(await exchange(api, app, code, None))
    assert invalid_grant(await exchange(api, app, code, verifier, "http://127.0.0.1:9/other"))
    assert invalid_grant(await exchange(api, other_app, code, verifier))
    assert invalid_grant(await exchange(api, app, "not-a-code", verifier))
    # None of those spent the code.
    assert (await exchange(api, app, code, verifier)).status_code == 200


async def test_unknown_client_gets_an_error_page(api: Api) -> None:
    params = {"response_type": "code", "client_id": "nobody", "redirect_uri": REDIRECT,
              "state": "s"}
    for r in (await api.client.get("/oauth/authorize", params=params),
              await api.client.post("/oauth/authorize", data={**params, "login": "a",
                                                               "password": "b"})):
        assert r.status_code == 400 and "location" not in r.headers
        assert "unknown client_id" in r.text


async def test_no_redirect_to_a_uri_the_app_did_not_register(api: Api) -> None:
    user = await api.user()
    app = await register_app(api)
    evil = "https://evil.example/steal"
    for bad in (query(app, None, redirect_uri=evil),
                query(app, None, redirect_uri=evil, response_type="token"),
                query(app, None, redirect_uri=REDIRECT + "/../steal")):
        page = await api.client.get("/oauth/authorize", params=bad)
        assert page.status_code == 400 and "location" not in page.headers
        assert "redirect URI does not match" in page.text
    # Nor by posting the form with the URI swapped after the page was shown.
    good = query(app, pkce()[1])
    page = await api.client.get("/oauth/authorize", params=good)
    r = await api.client.post("/oauth/authorize", data={
        **good, "redirect_uri": evil, "csrf": csrf(page), "login": user.email,
        "password": user.password, "decision": "allow"})
    assert r.status_code == 400 and "location" not in r.headers


async def test_other_request_errors_link_back_to_the_registered_uri(api: Api) -> None:
    """Shown on Hubbub's page, never an automatic redirect (RFC 9700 4.11.2): the person may
    follow the link back to the app, with the error and the state."""
    app = await register_app(api)
    challenge = pkce()[1]
    for bad, error in ((query(app, challenge, response_type="token"),
                        "unsupported_response_type"),
                       (query(app, "x" * 43, code_challenge_method="plain"), "invalid_request"),
                       (query(app, challenge, scope="admin:write"), "invalid_scope")):
        r = await api.client.get("/oauth/authorize", params=bad)
        assert r.status_code == 400 and "location" not in r.headers, r.text
        link = html.unescape(re.search(r'<a href="([^"]+)"[^>]*>Return to', r.text).group(1))
        assert link.startswith(REDIRECT + "?")
        assert parse_qs(urlsplit(link).query)["error"] == [error]
        assert parse_qs(urlsplit(link).query)["state"] == [bad["state"]]


async def test_declining_sends_access_denied(api: Api) -> None:
    user = await api.user()
    app = await register_app(api)
    params = query(app, pkce()[1])
    r = await sign_in(api, params, user, decision="deny")
    assert r.status_code == 303
    got = parse_qs(urlsplit(r.headers["location"]).query)
    assert got["error"] == ["access_denied"] and got["state"] == [params["state"]]
    assert "code" not in got


async def test_form_needs_its_csrf_token_and_cookie(api: Api) -> None:
    user = await api.user()
    app = await register_app(api)
    params = query(app, pkce()[1])
    page = await api.client.get("/oauth/authorize", params=params)
    form = {**params, "login": user.email, "password": user.password, "decision": "allow"}
    for data, headers in (({**form}, {}),
                          ({**form, "csrf": "forged"}, {}),
                          ({**form, "csrf": csrf(page)}, {"Origin": "https://evil.example"})):
        r = await api.client.post("/oauth/authorize", data=data, headers=headers)
        assert r.status_code == 403 and "location" not in r.headers, r.text
    # Without the cookie, the page's token alone is not enough.
    async with httpx.AsyncClient(base_url=api.stack.base_url) as stranger:
        r = await stranger.post("/oauth/authorize", data={**form, "csrf": csrf(page)})
        assert r.status_code == 403


async def test_out_of_band_code_is_shown_on_a_page(api: Api) -> None:
    user = await api.user()
    app = await register_app(api, redirect_uris=OOB)
    verifier, challenge = pkce()
    params = query(app, challenge)
    r = await sign_in(api, params, user)
    assert r.status_code == 200 and "location" not in r.headers
    code = re.search(r'<output class="auth-code"[^>]*>([^<]+)</output>', r.text).group(1)
    token = await exchange(api, app, code, verifier, OOB)
    assert token.status_code == 200 and (await me(api, token.json()["access_token"])).json()[
        "id"] == user.id
    # Errors have nowhere to go either: they are shown, never "redirected" to the URN.
    for r in (await sign_in(api, query(app, challenge), user, decision="deny"),
              await api.client.get("/oauth/authorize", params=query(app, None,
                                                                    response_type="token"))):
        assert r.status_code == 400 and "location" not in r.headers


async def test_a_client_without_pkce_signs_in_where_its_network_trusts_it(api: Api) -> None:
    """Mastodon.py and toot send no code_challenge (Mastodon never asked for one): the sign-in
    page opens (at /oauth/authorize/ too, toot's URL), and the code comes once the person's
    network lists the app; it is redeemed without a verifier."""
    domain = other_domain()
    admin, user = await api.user(domain=domain), await api.user(domain=domain)
    app = await register_app(api, redirect_uris=OOB)
    params = {k: v for k, v in query(app, None).items() if k != "state"}
    for path in ("/oauth/authorize", "/oauth/authorize/"):
        page = await api.client.get(path, params=params)
        assert page.status_code == 200, page.text
    r = await sign_in(api, params, user)
    assert r.status_code == 400 and "code_challenge is required" in r.text
    assert (await api.client.patch("/api/hubbub/v1/network", headers=admin.headers, json={
        "password_grant_apps": [app["client_id"]]})).status_code == 200
    r = await sign_in(api, params, user)
    code = re.search(r'<output class="auth-code"[^>]*>([^<]+)</output>', r.text)
    assert r.status_code == 200 and code, r.text
    token = await exchange(api, app, code.group(1), None, OOB)
    assert token.status_code == 200, token.text
    assert (await me(api, token.json()["access_token"])).json()["id"] == user.id


async def test_sign_up_creates_the_account_and_issues_a_code(api: Api) -> None:
    await api.user()  # acme.test has its network (an operator made it)
    app = await register_app(api)
    verifier, challenge = pkce()
    params = query(app, challenge)
    username = unique("new")
    email = f"{username}@acme.test"
    page = await api.client.get("/oauth/sign_up", params=params)
    form = {**params, "csrf": csrf(page), "display_name": "New <Person>",
            "username": username, "email": email, "password": "long enough password"}
    code = code_of(await api.client.post("/oauth/sign_up", data=form), params)
    token = (await exchange(api, app, code, verifier)).json()["access_token"]
    # A member once the address is confirmed (tests/api/membership).
    assert (await me(api, token)).status_code == 403
    mail = await api.next_mail(email)
    assert (await api.confirm(link_in(mail))).status_code == 200
    account = (await me(api, token)).json()
    assert (account["username"], account["display_name"]) == (username, "New <Person>")

    # Taken username: the page again, with the error and the values (escaped), no code.
    page = await api.client.get("/oauth/sign_up", params=params)
    again = await api.client.post("/oauth/sign_up", data={
        **form, "csrf": csrf(page), "email": f"other{username}@acme.test"})
    assert again.status_code == 422 and "location" not in again.headers
    assert "Username is already taken" in again.text
    assert 'value="New &lt;Person&gt;"' in again.text


# --- the web client the flow returns to ---------------------------------------------------------

async def test_client_pages_and_assets_are_served(api: Api) -> None:
    for path in ("/", "/web/callback", "/web/notifications", "/@someone", "/@someone/123",
                 "/tags/launch", "/invite/abc"):
        page = await api.client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-cache"
        assert "script-src 'self'" in page.headers["content-security-policy"]
    script = re.search(r'<script type="module" src="([^"]+)"', page.text).group(1)
    asset = await api.client.get(script)
    assert asset.status_code == 200
    assert asset.headers["content-type"].startswith("text/javascript")
    assert "immutable" in asset.headers["cache-control"]
    again = await api.client.get(script, headers={"If-None-Match": asset.headers["etag"]})
    assert again.status_code == 304
    # Nothing outside the client's files, and no catch-all over other paths.
    for path in (script.replace("js/main.js", "../routes/web.py"),
                 script.replace("js/main.js", "templates/sign_in.html"), "/favicon.ico",
                 "/api/v1/nothing", "/web/assets/x/index.html"):
        assert (await api.client.get(path)).status_code == 404, path
