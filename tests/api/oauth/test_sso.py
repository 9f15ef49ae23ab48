"""Single sign-on with OpenID Connect against a real, certified provider (npm's oidc-provider,
tests/oidc): a network admin configures it, people sign in through /oauth/authorize's page and
end with a working token; accounts are made on the first sign-in and found again by ``sub``;
"SSO required" refuses passwords; every forged, replayed or altered answer is a clear 4xx page
and makes no account; a provider that is down is a clear page, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.helpers import Api, User, other_domain, unique
from tests.helpers import oidc_provider as oidc
from tests.helpers.oauth import REDIRECT, code_of, csrf, exchange, me, pkce, query, register_app

SSO = "/api/hubbub/v1/network/sso"


@pytest.fixture(scope="module")
def provider(stack: Any) -> Iterator[oidc.TestProvider]:
    with oidc.running(stack.base_url + "/auth/sso/callback") as running:
        yield running


@pytest.fixture(autouse=True)
def honest_tokens(provider: oidc.TestProvider) -> Iterator[None]:
    provider.id_tokens()
    yield
    provider.id_tokens()


async def configure(api: Api, admin: User, provider: oidc.TestProvider, **fields: Any
                    ) -> httpx.Response:
    body = {"issuer": provider.issuer, "client_id": oidc.CLIENT_ID,
            "client_secret": oidc.CLIENT_SECRET, "display_name": "Acme ID", **fields}
    return await api.client.put(SSO, headers=admin.headers, json=body)


async def sso_network(api: Api, provider: oidc.TestProvider, **fields: Any
                      ) -> tuple[User, str]:
    """A fresh network (its admin) with the provider configured, and its domain."""
    domain = other_domain()
    admin = await api.user(domain=domain)
    r = await configure(api, admin, provider, **fields)
    assert r.status_code == 200, r.text
    return admin, domain


async def members(api: Api, admin: User) -> set[str]:
    r = await api.client.get("/api/hubbub/v1/network/members", headers=admin.headers,
                             params={"limit": 80})
    assert r.status_code == 200, r.text
    return {a["id"] for a in r.json()}


async def start(browser: httpx.AsyncClient, api: Api, email: str
                ) -> tuple[httpx.Response, dict[str, str], str]:
    """The app's authorize request, then "Sign in with your organisation": the gateway's
    answer (a redirect to the provider), the request's parameters and its PKCE verifier."""
    app = await register_app(api)
    verifier, challenge = pkce()
    params = query(app, challenge)
    page = await browser.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    assert 'action="/oauth/sso"' in page.text and 'id="sso-email"' in page.text
    r = await browser.post("/oauth/sso", data={**params, "csrf": csrf(page), "email": email})
    params["client_id"], params["client_secret"] = app["client_id"], app["client_secret"]
    return r, params, verifier


async def through_provider(browser: httpx.AsyncClient, provider: oidc.TestProvider,
                           answer: httpx.Response, user_id: str) -> str:
    """Follow the provider's pages as a person would, signing in as ``user_id``: the URL of
    the gateway's callback it sends the browser back to."""
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    for _ in range(10):
        if not location.startswith(provider.issuer):
            return location
        r = await browser.get(location)
        if r.status_code == 200 and "/login" in r.text:  # the provider's login form
            action = re.search(r'action="([^"]+)"', r.text)
            assert action
            r = await browser.post(provider.issuer + action.group(1),
                                   data={"login": user_id})
        assert r.status_code in (302, 303), r.text
        location = r.headers["location"]
        if location.startswith("/"):
            location = provider.issuer + location
    raise AssertionError("the provider never sent the browser back")


async def sign_in(api: Api, provider: oidc.TestProvider, user_id: str, email: str
                  ) -> tuple[httpx.Response, dict[str, str], str]:
    """A whole SSO sign-in in a fresh browser: the gateway's answer to the callback."""
    async with httpx.AsyncClient(base_url=api.client.base_url, timeout=20) as browser:
        answer, params, verifier = await start(browser, api, email)
        callback = await through_provider(browser, provider, answer, user_id)
        return await browser.get(callback), params, verifier


async def token_of(api: Api, answer: httpx.Response, params: dict[str, str],
                   verifier: str) -> str:
    code = code_of(answer, params)
    app = {"client_id": params["client_id"], "client_secret": params["client_secret"]}
    r = await exchange(api, app, code, verifier, REDIRECT)
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def person(provider: oidc.TestProvider, domain: str, **claims: Any) -> tuple[str, str]:
    """A user at the provider with an address of ``domain``: (sub, email)."""
    sub, local = unique("sub"), unique("p")
    email = f"{local}@{domain}"
    provider.set_user(sub, **{"email": email, "email_verified": True, "name": "Pat Doe",
                              "preferred_username": local, **claims})
    return sub, email


# --- an admin configures the provider -----------------------------------------------------------

async def test_admin_configures_the_provider_and_never_sees_the_secret(
        api: Api, provider: oidc.TestProvider) -> None:
    admin, domain = await sso_network(api, provider)
    r = await api.client.get(SSO, headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["issuer"] == provider.issuer and body["display_name"] == "Acme ID"
    assert body["email_claim"] == "email" and body["required"] is False
    assert oidc.CLIENT_SECRET not in r.text and "client_secret" not in body
    # An update without the secret keeps it (sign-in still works below).
    r = await api.client.put(SSO, headers=admin.headers, json={
        "issuer": provider.issuer, "client_id": oidc.CLIENT_ID, "display_name": "Acme SSO"})
    assert r.status_code == 200 and oidc.CLIENT_SECRET not in r.text
    sub, email = person(provider, domain)
    answer, params, verifier = await sign_in(api, provider, sub, email)
    assert (await me(api, await token_of(api, answer, params, verifier))).status_code == 200


async def test_only_the_networks_admins_configure_it(api: Api,
                                                     provider: oidc.TestProvider) -> None:
    admin, domain = await sso_network(api, provider)
    member = await api.user(domain=domain)
    assert (await configure(api, member, provider)).status_code == 403
    assert (await api.client.get(SSO, headers=member.headers)).status_code == 403
    assert (await api.client.delete(SSO, headers=member.headers)).status_code == 403
    assert (await api.client.get(SSO, headers=admin.headers)).json()["display_name"] == "Acme ID"


async def test_an_issuer_that_is_no_provider_is_refused_with_a_clear_422(
        api: Api, provider: oidc.TestProvider, stack: Any) -> None:
    admin = await api.user(domain=other_domain())
    down = f"http://127.0.0.1:{oidc._free_port()}"
    for issuer, words in ((down, "could not be reached"),
                          (stack.base_url, "not valid"),  # Hubbub itself: no discovery
                          (provider.issuer + "/", "names another issuer"),
                          ("ftp://idp.example", "http")):
        r = await configure(api, admin, provider, issuer=issuer)
        assert r.status_code == 422, r.text
        assert "issuer" in r.json()["error"] and words in r.json()["error"], r.text
    assert (await api.client.get(SSO, headers=admin.headers)).status_code == 404
    r = await configure(api, admin, provider, client_secret=None)  # first time: needs one
    assert r.status_code == 422 and "client_secret" in r.text


async def test_removing_the_provider(api: Api, provider: oidc.TestProvider) -> None:
    admin, domain = await sso_network(api, provider)
    assert (await api.client.delete(SSO, headers=admin.headers)).status_code == 200
    assert (await api.client.get(SSO, headers=admin.headers)).status_code == 404
    async with httpx.AsyncClient(base_url=api.client.base_url, timeout=20) as browser:
        answer, _, _ = await start(browser, api, f"someone@{domain}")
    assert answer.status_code == 404 and "No organisation sign-in" in answer.text


# --- signing in -------------------------------------------------------------------------------

async def test_first_sign_in_makes_the_account_and_the_next_finds_it_by_sub(
        api: Api, provider: oidc.TestProvider) -> None:
    admin, domain = await sso_network(api, provider)
    sub, email = person(provider, domain, preferred_username="pat.doe", name="Pat Doe")
    answer, params, verifier = await sign_in(api, provider, sub, email)
    token = await token_of(api, answer, params, verifier)
    r = await me(api, token)
    assert r.status_code == 200, r.text
    account = r.json()
    assert account["username"] == "pat_doe" and account["display_name"] == "Pat Doe"
    assert account["id"] in await members(api, admin)  # confirmed and approved at once
    # The address changes at the provider: the same person, the same account.
    provider.set_user(sub, email=f"{unique('renamed')}@{domain}", email_verified=True)
    answer, params, verifier = await sign_in(api, provider, sub, email)
    again = await me(api, await token_of(api, answer, params, verifier))
    assert again.json()["id"] == account["id"]


async def test_a_taken_username_is_made_unique(api: Api, provider: oidc.TestProvider) -> None:
    admin, domain = await sso_network(api, provider)
    sub, email = person(provider, domain, preferred_username=admin.username)
    answer, params, verifier = await sign_in(api, provider, sub, email)
    made = (await me(api, await token_of(api, answer, params, verifier))).json()
    assert made["username"] != admin.username
    assert made["username"].startswith(admin.username[:20])


async def test_an_existing_password_account_is_linked(api: Api,
                                                      provider: oidc.TestProvider) -> None:
    admin, domain = await sso_network(api, provider)
    member = await api.user(domain=domain)
    sub, _ = person(provider, domain, email=member.email)
    answer, params, verifier = await sign_in(api, provider, sub, member.email)
    r = await me(api, await token_of(api, answer, params, verifier))
    assert r.json()["id"] == member.id


async def test_sso_required_refuses_passwords_and_allows_sso(
        api: Api, provider: oidc.TestProvider) -> None:
    admin, domain = await sso_network(api, provider)
    member = await api.user(domain=domain)
    await api.allow_password_grant(admin)
    app = await api.app()
    grant = {"grant_type": "password", "client_id": app["client_id"],
             "client_secret": app["client_secret"], "username": member.email,
             "password": member.password, "scope": "read"}
    assert (await api.client.post("/oauth/token", data=grant)).status_code == 200
    r = await configure(api, admin, provider, required=True)
    assert r.status_code == 200 and r.json()["required"] is True
    # The password grant, by address and by username (whose network requires it too).
    for login in (member.email, member.username):
        r = await api.client.post("/oauth/token", data={**grant, "username": login})
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_grant"
        assert "requires single sign-on" in r.json()["error_description"]
    # The sign-in form's password.
    verifier, challenge = pkce()
    params = query(await register_app(api), challenge)
    async with httpx.AsyncClient(base_url=api.client.base_url, timeout=20) as browser:
        page = await browser.get("/oauth/authorize", params=params)
        r = await browser.post("/oauth/authorize", data={
            **params, "csrf": csrf(page), "login": member.email, "password": member.password,
            "decision": "allow"})
    assert r.status_code == 403 and "requires single sign-on" in r.text
    assert "Acme ID" in r.text
    # Single sign-on still lets the member in.
    sub, _ = person(provider, domain, email=member.email)
    answer, params, verifier = await sign_in(api, provider, sub, member.email)
    assert (await me(api, await token_of(api, answer, params, verifier))).json()["id"] == \
        member.id


# --- bad answers: a clear 4xx page, no account ----------------------------------------------------

@pytest.mark.parametrize("changes, case", [
    ({"nonce": "not-the-one-we-sent"}, "nonce"),
    ({"iss": "https://evil.example"}, "iss"),
    ({"aud": "another-client"}, "aud"),
    ({"aud": ["hubbub", "another-client"]}, "azp"),
    ({"age": 3600 + 120}, "expired"),  # past its 1 h lifetime and the leeway
    ({"tamper": True}, "signature"),
])
async def test_an_id_token_failing_a_check_signs_nobody_in(
        api: Api, provider: oidc.TestProvider, changes: dict[str, Any], case: str) -> None:
    admin, domain = await sso_network(api, provider)
    before = await members(api, admin)
    sub, email = person(provider, domain)
    provider.id_tokens(**changes)
    answer, _, _ = await sign_in(api, provider, sub, email)
    assert answer.status_code == 400, (case, answer.status_code, answer.text)
    assert "could not be verified" in answer.text
    assert await members(api, admin) == before


async def test_a_forged_or_replayed_state_is_refused(api: Api,
                                                     provider: oidc.TestProvider) -> None:
    admin, domain = await sso_network(api, provider)
    before = await members(api, admin)
    sub, email = person(provider, domain)
    async with httpx.AsyncClient(base_url=api.client.base_url, timeout=20) as browser:
        answer, _, _ = await start(browser, api, email)
        callback = await through_provider(browser, provider, answer, sub)
        query_ = parse_qs(urlsplit(callback).query)
        forged = await browser.get("/auth/sso/callback", params={
            "code": query_["code"][0], "state": "forged-" + unique()})
        assert forged.status_code == 400 and "expired or was already used" in forged.text
        # Another browser with the real state: not the one that started it.
        async with httpx.AsyncClient(base_url=api.client.base_url, timeout=20) as other:
            assert (await other.get(callback)).status_code == 400
        # That consumed the state: the right browser now finds it used as well.
        replay = await browser.get(callback)
        assert replay.status_code == 400 and "already used" in replay.text
    assert await members(api, admin) == before
    # A fresh sign-in of the same person still works.
    answer, _, _ = await sign_in(api, provider, sub, email)
    assert answer.status_code == 303


async def test_unverified_address_or_foreign_domain_makes_no_account(
        api: Api, provider: oidc.TestProvider) -> None:
    admin, domain = await sso_network(api, provider)
    before = await members(api, admin)
    sub, email = person(provider, domain, email_verified=False)
    answer, _, _ = await sign_in(api, provider, sub, email)
    assert answer.status_code == 403 and "not verified" in answer.text
    sub, _ = person(provider, domain, email=f"x{unique()}@{other_domain()}")
    answer, _, _ = await sign_in(api, provider, sub, f"someone@{domain}")
    assert answer.status_code == 403 and "is not a domain of this network" in answer.text
    sub, _ = person(provider, domain, email=None)
    answer, _, _ = await sign_in(api, provider, sub, f"someone@{domain}")
    assert answer.status_code == 422 and "e-mail address" in answer.text
    assert await members(api, admin) == before


async def test_a_deactivated_account_cannot_sign_in(api: Api,
                                                    provider: oidc.TestProvider) -> None:
    admin, domain = await sso_network(api, provider)
    sub, email = person(provider, domain)
    answer, params, verifier = await sign_in(api, provider, sub, email)
    account = (await me(api, await token_of(api, answer, params, verifier))).json()
    r = await api.client.post(f"/api/hubbub/v1/network/accounts/{account['id']}/deactivate",
                              headers=admin.headers)
    assert r.status_code == 200, r.text
    answer, _, _ = await sign_in(api, provider, sub, email)
    assert answer.status_code == 403 and "deactivated" in answer.text


async def test_a_provider_that_is_down_gives_a_clear_page(api: Api, stack: Any) -> None:
    with oidc.running(stack.base_url + "/auth/sso/callback") as short_lived:
        admin, domain = await sso_network(api, short_lived)
    async with httpx.AsyncClient(base_url=api.client.base_url, timeout=20) as browser:
        answer, _, _ = await start(browser, api, f"someone@{domain}")
    assert answer.status_code == 502, answer.text
    assert "Acme ID cannot be reached" in answer.text
