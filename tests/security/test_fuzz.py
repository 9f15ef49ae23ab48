"""Fuzzing: schemathesis generates requests from the gateway's own OpenAPI document
(/api/openapi.json) for every operation, valid and invalid ones, and sends them to the real
stack. However wrong a request, the answer is never a server error (5xx): what a server behind
cannot hold is refused at the gateway with a 4xx (tests/security/test_input_limits.py holds each
such refusal found so far).

Bounded: a few examples per operation and a time budget, so the suite stays short. The caller
is a throwaway user, admin of a network of its own, with every scope: destructive operations
touch nothing other tests use."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from typing import Any

import httpx
import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from tests.helpers import Api, other_domain, unique

ALL_SCOPES = "read write follow push admin:read admin:write"
# A deeper run by hand: HUBBUB_FUZZ_EXAMPLES=200 HUBBUB_FUZZ_SECONDS=1200 pytest this file.
EXAMPLES_PER_OPERATION = int(os.environ.get("HUBBUB_FUZZ_EXAMPLES", "8"))
BUDGET_SECONDS = float(os.environ.get("HUBBUB_FUZZ_SECONDS", "35"))
# Long-lived: a stream answers until the client leaves (tests/gateway cover streams).
SKIPPED = {"/api/v1/streaming/{path}"}


async def _document(api: Api) -> dict[str, Any]:
    r = await api.client.get("/api/openapi.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = r.json()
    return document


async def test_the_document_is_valid_openapi(api: Api) -> None:
    document = await _document(api)
    validate(document)  # raises on any deviation from OpenAPI 3.1
    paths = document["paths"]
    assert "post" in paths["/api/v1/statuses"]
    body = paths["/api/v1/statuses"]["post"]["requestBody"]["content"]["application/json"]
    schema = document["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"status", "poll", "visibility"} <= set(schema["properties"])
    query = {p["name"] for p in paths["/api/v1/notifications"]["get"]["parameters"]}
    assert {"limit", "max_id", "types[]", "exclude_types[]"} <= query
    statuses = paths["/api/v1/statuses/{status_id}"]
    assert set(statuses) == {"get", "put", "delete"}
    assert statuses["get"]["parameters"][0]["name"] == "status_id"
    assert "422" in statuses["put"]["responses"]
    error = document["components"]["schemas"]["Error"]
    assert error["properties"] == {"error": {"type": "string"}}


async def _everything_token(api: Api) -> str:
    """A user's token with every scope, the user the owner (so admin) of a new network: an
    operator made it and invited them."""
    r = await api.client.post("/api/v1/apps", data={
        "client_name": "fuzz", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        "scopes": ALL_SCOPES})
    assert r.status_code == 200, r.text
    app = r.json()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "scope": ALL_SCOPES})
    assert r.status_code == 200, r.text
    name = unique("fuzz")
    email = f"{name}@{other_domain()}"
    invite_code = await api.stack.invitation_for(email.split("@")[1], email)
    r = await api.client.post("/api/v1/accounts", headers={
        "Authorization": f"Bearer {r.json()['access_token']}"}, json={
        "username": name, "email": email, "password": "correct horse battery",
        "agreement": True, "invite_code": invite_code})
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    r = await api.client.get("/api/v1/apps/verify_credentials",
                             headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return token


def _fuzz(document: dict[str, Any], base_url: str, token: str
          ) -> tuple[int, list[str], Counter[int]]:
    """Runs in a thread: the stack serves from the test's event loop meanwhile."""
    schema = schemathesis.openapi.from_dict(document)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    sent, errors, statuses = 0, [], Counter[int]()
    deadline = time.monotonic() + BUDGET_SECONDS
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        if operation.path in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if time.monotonic() > deadline:
                break

            @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
                                 database=None, derandomize=True,
                                 suppress_health_check=list(HealthCheck),
                                 phases=[hypothesis.Phase.generate])
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def send(case: schemathesis.Case) -> None:
                nonlocal sent
                if time.monotonic() > deadline:
                    return
                response = case.call(base_url=base_url, session=session, timeout=20)
                sent += 1
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    errors.append(f"{response.status_code} {case.as_curl_command()}"
                                  f" -> {response.text[:200]}")

            try:
                send()
            except hypothesis.errors.Unsatisfiable:
                pass  # nothing invalid to send: an operation without parameters
    return sent, errors, statuses


async def test_fuzzing_finds_no_server_error(api: Api) -> None:
    document = await _document(api)
    token = await _everything_token(api)
    sent, errors, statuses = await asyncio.to_thread(_fuzz, document, api.stack.base_url, token)
    print(f"fuzzing: {sent} requests, {len(errors)} server errors, statuses {dict(statuses)}")
    assert sent > 500, statuses  # the budget let it reach most operations
    assert not errors, "\n".join(errors[:20])
    # The stack is still whole for the tests after this one.
    async with httpx.AsyncClient(base_url=api.stack.base_url) as client:
        r = await client.get("/api/v1/instance")
        assert r.status_code == 200
