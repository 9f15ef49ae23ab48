"""The OAuth authorization-code flow as a client runs it: an app, PKCE, the sign-in page, the code
and its exchange."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.helpers import Api, User, unique

REDIRECT = "http://127.0.0.1:9/callback"
OOB = "urn:ietf:wg:oauth:2.0:oob"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


async def register_app(api: Api, name: str = "Test client",
                       redirect_uris: str = REDIRECT, scopes: str = "read write follow"
                       ) -> dict[str, Any]:
    r = await api.client.post("/api/v1/apps", data={
        "client_name": name, "redirect_uris": redirect_uris, "scopes": scopes})
    assert r.status_code == 200, r.text
    return r.json()


def query(app: dict[str, Any], challenge: str | None, **extra: str) -> dict[str, str]:
    params = {"response_type": "code", "client_id": app["client_id"],
              "redirect_uri": app["redirect_uri"].split()[0], "scope": "read write",
              "state": "st-" + unique()}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    return {**params, **extra}


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(api: Api, params: dict[str, str], user: User, *, password: str | None = None,
                  **form: str) -> httpx.Response:
    page = await api.client.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    return await api.client.post("/oauth/authorize", data={
        **params, "csrf": csrf(page), "login": user.email,
        "password": password or user.password, "decision": "allow", **form})


def code_of(response: httpx.Response, params: dict[str, str]) -> str:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == params["redirect_uri"]
    got = parse_qs(location.query)
    assert got["state"] == [params["state"]]
    return got["code"][0]


async def exchange(api: Api, app: dict[str, Any], code: str, verifier: str | None,
                   redirect_uri: str = REDIRECT) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": app["client_id"], "client_secret": app["client_secret"]}
    if verifier is not None:
        data["code_verifier"] = verifier
    return await api.client.post("/oauth/token", data=data)


async def me(api: Api, token: str) -> httpx.Response:
    return await api.client.get("/api/v1/accounts/verify_credentials",
                                headers={"Authorization": f"Bearer {token}"})


def invalid_grant(response: httpx.Response) -> bool:
    return response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def scoped_headers(api: Api, user: User, scope: str) -> dict[str, str]:
    """Headers with a token of ``user`` holding exactly ``scope``, by the authorization-code
    flow (no admin's leave needed, unlike the password grant)."""
    app = await register_app(api, "Scoped client", scopes="read write follow push")
    verifier, challenge = pkce()
    params = query(app, challenge, scope=scope)
    code = code_of(await sign_in(api, params, user), params)
    token = await exchange(api, app, code, verifier, redirect_uri=params["redirect_uri"])
    assert token.status_code == 200 and token.json()["scope"] == scope, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}
