"""What the gateway refuses of a request before it reaches a server, each refusal a 4xx in
Mastodon's ``{"error": ...}`` shape: text PostgreSQL cannot hold, JSON nested past reason,
numbers past ``bigint``, headers past 32 KB, bodies past 1 MB. A 500 names nothing internal.
And what it accepts: parameters a route does not know, as Mastodon does."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.helpers import Api, User, other_domain, unique

NUL = "a\x00b"


async def _admin(api: Api) -> User:
    return await api.user(domain=other_domain())  # the first account of a domain is its admin


# (method, path, how the parameters travel, the parameters, the field the 422 must name)
NUL_CASES: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("POST", "/api/v1/statuses", "json", {"status": NUL}, "status"),
    ("POST", "/api/v1/statuses", "form", {"status": NUL}, "status"),
    ("POST", "/api/v1/statuses", "json", {"status": "hi", "spoiler_text": NUL}, "spoiler_text"),
    ("POST", "/api/v1/statuses", "json",
     {"status": "poll", "poll": {"options": ["yes", NUL], "expires_in": 3600}},
     "poll.options[1]"),
    ("PATCH", "/api/v1/accounts/update_credentials", "json", {"display_name": NUL},
     "display_name"),
    ("PATCH", "/api/v1/accounts/update_credentials", "form", {"note": NUL}, "note"),
    ("POST", "/api/v1/lists", "json", {"title": NUL}, "title"),
    ("POST", "/api/hubbub/v1/communities", "json", {"name": NUL}, "name"),
    ("PATCH", "/api/hubbub/v1/network", "json", {"name": NUL}, "name"),
    ("POST", "/api/hubbub/v1/network/invitations", "json", {"email": f"{NUL}@x.test"}, "email"),
    ("POST", "/api/v1/apps", "form", {"client_name": NUL}, "client_name"),
    ("GET", "/api/v1/accounts/search", "query", {"q": NUL}, "q"),
    ("GET", "/api/v2/search", "query", {"q": NUL}, "q"),
    ("GET", "/api/v1/notifications", "query", {"types[]": NUL}, "types[0]"),
    ("POST", "/api/v1/accounts", "json",
     {"username": NUL, "email": "x@acme.test", "password": "correct horse battery",
      "agreement": True}, "username"),
]


@pytest.mark.parametrize(("method", "path", "via", "values", "field"), NUL_CASES,
                         ids=[f"{c[1]}:{c[4]}:{c[2]}" for c in NUL_CASES])
async def test_nul_in_text_is_a_422_naming_the_field(api: Api, method: str, path: str, via: str,
                                                     values: dict[str, Any], field: str) -> None:
    user = await _admin(api)
    headers = user.headers
    if path == "/api/v1/accounts":  # registration is the app's, not a user's
        headers = {"Authorization": f"Bearer {await api.app_token()}"}
    sent: dict[str, Any] = {"json": values} if via == "json" else (
        {"data": values} if via == "form" else {"params": values})
    r = await api.client.request(method, path, headers=headers, **sent)
    assert r.status_code == 422, r.text
    assert r.json()["error"].startswith(f"Validation failed: {field} "), r.text


async def test_nul_in_the_password_grant_is_a_422(api: Api) -> None:
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": NUL, "password": "x"})
    assert r.status_code == 422, r.text
    assert r.json()["error"].startswith("Validation failed: username "), r.text


async def test_nul_in_the_sign_in_pages_is_a_422(api: Api) -> None:
    r = await api.client.get("/oauth/authorize", params={"client_id": NUL,
                                                          "response_type": "code"})
    assert r.status_code == 422, r.text
    r = await api.client.post("/oauth/authorize", data={"client_id": NUL, "login": "a"})
    assert r.status_code == 422, r.text
    assert "client_id" in r.json()["error"]


async def test_nul_in_a_path_is_not_found(api: Api) -> None:
    user = await api.user()
    r = await api.client.get("/api/v1/lists/1%002", headers=user.headers)
    assert (r.status_code, r.json()) == (404, {"error": "Record not found"})


async def test_json_nested_past_reason_is_refused(api: Api) -> None:
    user = await api.user()
    for depth in (100_000, 100):
        body = '{"status": "deep", "media_attributes": ' + "[" * depth + "]" * depth + "}"
        r = await api.client.put("/api/v1/statuses/1", headers={
            **user.headers, "Content-Type": "application/json"}, content=body)
        assert r.status_code in (400, 422), (depth, r.text)
        assert "nested too deeply" in r.json()["error"]


async def test_trends_offset_past_bigint_is_a_422(api: Api) -> None:
    user = await api.user(domain=other_domain())
    r = await api.client.get("/api/v1/trends/tags", headers=user.headers,
                             params={"offset": 10**30})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "Validation failed: offset is out of range"
    r = await api.client.get("/api/v1/trends/tags", headers=user.headers,
                             params={"offset": 2**63 - 1})
    assert (r.status_code, r.json()) == (200, [])


async def test_headers_past_32_kb_are_a_431(api: Api) -> None:
    user = await api.user()
    for path in ("/api/v1/accounts/verify_credentials", "/api/v1/timelines/home"):
        r = await api.client.get(path, headers={**user.headers, "X-Padding": "x" * 40_000})
        assert r.status_code == 431, (path, r.text)
        assert "headers are too large" in r.json()["error"]
    r = await api.client.get("/api/v1/accounts/verify_credentials",
                             headers={**user.headers, "X-Padding": "x" * 16_000})
    assert r.status_code == 200, r.text


async def test_bodies_past_1_mb_are_a_413(api: Api) -> None:
    user = await api.user()
    padding = "x" * (1_000_000 - 40)
    just_under = f'{{"status": "hi", "extra": "{padding}"}}'.encode()
    assert len(just_under) < 1_000_000
    r = await api.client.post("/api/v1/statuses", headers={
        **user.headers, "Content-Type": "application/json"}, content=just_under)
    assert r.status_code == 200, r.text
    over = f'{{"status": "hi", "extra": "{padding}{"x" * 100}"}}'.encode()
    r = await api.client.post("/api/v1/statuses", headers={
        **user.headers, "Content-Type": "application/json"}, content=over)
    assert r.status_code == 413, r.text
    assert "too large" in r.json()["error"]


async def test_text_that_outgrows_a_nats_message_is_a_413(api: Api) -> None:
    """Under 1 MB as a form, over NATS's 1 MiB once JSON escapes each control character."""
    user = await api.user()
    r = await api.client.post("/api/v1/statuses", headers=user.headers,
                              data={"status": "\x01" * 300_000})
    assert r.status_code in (413, 422), r.text
    assert r.json()["error"]


async def test_405_names_the_methods_allowed(api: Api) -> None:
    r = await api.client.request("DELETE", "/api/v1/instance")
    assert r.status_code == 405
    assert "GET" in r.headers["allow"]
    assert "error" in r.json()


async def test_a_500_names_no_internals(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_: Any) -> Any:
        raise asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence")

    monkeypatch.setattr("services.posts.store.tag_trends", broken)
    user = await api.user(domain=other_domain())  # a network whose trends no cache holds
    r = await api.client.get("/api/v1/trends/tags", headers=user.headers)
    assert r.status_code == 500
    assert r.json() == {"error": "Internal server error"}
    assert r.headers["x-request-id"]  # what the log line carries


# --- what the gateway accepts: parameters a route does not know (issue #17) ---------------

EXTRA = {"return_detailed_error": "true", "some_newer_field": "1"}


async def test_unknown_parameters_are_ignored(api: Api) -> None:
    ann, bob = await api.user(), await api.user()
    app_headers = {"Authorization": f"Bearer {await api.app_token()}"}
    name = unique()
    r = await api.client.post("/api/v1/accounts", headers=app_headers, data={
        "username": name, "email": f"{name}@acme.test", "password": "correct horse battery",
        "agreement": "true", "locale": "en", **EXTRA})
    assert r.status_code == 200, r.text
    r = await api.client.post("/api/v1/statuses", headers=ann.headers,
                              json={"status": "hello", **EXTRA})
    assert r.status_code == 200, r.text
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=ann.headers,
                               data={"display_name": "Ann", **EXTRA})
    assert r.status_code == 200, r.text
    r = await api.client.post("/api/v1/lists", headers=ann.headers,
                              json={"title": "friends", **EXTRA})
    assert r.status_code == 200, r.text
    r = await api.client.post(f"/api/v1/accounts/{bob.id}/follow", headers=ann.headers,
                              json={"reblogs": True, **EXTRA})
    assert r.status_code == 200, r.text
    for path in ("/api/v1/notifications", "/api/v1/timelines/home",
                 "/api/v1/timelines/public"):
        r = await api.client.get(path, headers=ann.headers, params={"limit": 5, **EXTRA})
        assert r.status_code in (200, 206), (path, r.text)
    # A known parameter with a wrong value is still refused, by name.
    r = await api.client.get("/api/v1/notifications", headers=ann.headers,
                             params={"limit": "many", **EXTRA})
    assert r.status_code == 422, r.text
    assert "limit" in r.json()["error"]
