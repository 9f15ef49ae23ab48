"""Validation errors as Mastodon clients read them: a 422 whose ``details`` say, per field, what
is wrong as a code (``ERR_TAKEN``, ``ERR_BLANK``...) a client translates; profile fields in each
form clients send them; and a 401 that says whether the token is missing or invalid."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Api, User, unique

PASSWORD = "correct horse battery"


async def register(api: Api, **body: Any) -> tuple[int, dict[str, Any]]:
    r = await api.client.post("/api/v1/accounts",
                              headers={"Authorization": f"Bearer {await api.app_token()}"},
                              json={"agreement": True, "locale": "en", **body})
    return r.status_code, r.json()


def codes(answer: dict[str, Any]) -> dict[str, list[str]]:
    """Per field, the codes of Mastodon's ``details``; every one described in words too."""
    details = answer["details"]
    assert all(p["description"] for problems in details.values() for p in problems), answer
    return {field: [p["error"] for p in problems] for field, problems in details.items()}


@pytest.mark.parametrize("agreement", [False, None])
async def test_a_sign_up_without_agreement_is_err_accepted_and_makes_nothing(
        api: Api, agreement: bool | None) -> None:
    username = unique()
    body: dict[str, Any] = {"username": username, "email": f"{username}@acme.test",
                            "password": PASSWORD, "agreement": agreement}
    if agreement is None:
        del body["agreement"]
    r = await api.client.post("/api/v1/accounts", json=body,
                              headers={"Authorization": f"Bearer {await api.app_token()}"})
    assert r.status_code == 422, r.text
    assert codes(r.json()) == {"agreement": ["ERR_ACCEPTED"]}
    # Nothing was made: the username is free (a sign-up with agreement takes it).
    reader = await api.user()
    r = await api.client.get("/api/v1/accounts/lookup", params={"acct": username},
                             headers=reader.headers)
    assert r.status_code == 404, r.text
    status, answer = await register(api, username=username, email=f"{username}@acme.test",
                                    password=PASSWORD)
    assert status == 200, answer


async def test_taken_username_is_err_taken_and_a_taken_email_is_not_said(api: Api) -> None:
    user = await api.user()
    status, answer = await register(api, username=user.username.upper(),
                                    email=f"{unique()}@acme.test", password=PASSWORD)
    assert status == 422, answer
    assert "taken" in answer["error"]
    assert codes(answer) == {"username": ["ERR_TAKEN"]}
    # Whether an address has an account is not said: the sign-up answers as any other (its
    # owner hears of it by mail: tests/api/membership).
    status, answer = await register(api, username=unique(), email=user.email.upper(),
                                    password=PASSWORD)
    assert status == 200, answer
    assert "access_token" in answer


async def test_an_address_no_organisation_claimed_is_err_blocked(api: Api) -> None:
    status, answer = await register(api, username=unique(), email=f"{unique()}@{unique()}.test",
                                    password=PASSWORD)
    assert status == 422, answer
    assert codes(answer) == {"email": ["ERR_BLOCKED"]}


@pytest.mark.parametrize(("body", "expected"), [
    ({"username": "", "email": "", "password": ""},
     {"username": ["ERR_BLANK"], "email": ["ERR_BLANK"], "password": ["ERR_BLANK"]}),
    ({"email": "x@acme.test", "password": PASSWORD}, {"username": ["ERR_BLANK"]}),
    ({"username": "bad name!", "email": "not-an-email", "password": "short"},
     {"username": ["ERR_INVALID"], "email": ["ERR_INVALID"], "password": ["ERR_TOO_SHORT"]}),
    ({"username": "u" * 31, "email": "x@acme.test", "password": "p" * 257,
      "display_name": "d" * 101},
     {"username": ["ERR_TOO_LONG"], "password": ["ERR_TOO_LONG"],
      "display_name": ["ERR_TOO_LONG"]}),
])
async def test_registration_details_name_each_field(api: Api, body: dict[str, Any],
                                                   expected: dict[str, list[str]]) -> None:
    status, answer = await register(api, **body)
    assert status == 422, answer
    assert answer["error"].startswith("Validation failed")
    assert codes(answer) == expected


async def update(api: Api, user: User, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=user.headers,
                               **kwargs)
    return r.status_code, r.json()


@pytest.mark.parametrize(("body", "expected"), [
    ({"note": "n" * 501}, {"note": ["ERR_TOO_LONG"]}),
    ({"display_name": "d" * 31, "note": "n" * 501},
     {"display_name": ["ERR_TOO_LONG"], "note": ["ERR_TOO_LONG"]}),
    ({"fields_attributes": [{"name": f"n{i}", "value": "v"} for i in range(5)]},
     {"fields": ["ERR_TOO_LONG"]}),
    ({"fields_attributes": [{"name": "", "value": "orphan"}]}, {"fields": ["ERR_BLANK"]}),
    ({"avatar_url": "ftp://example.com/a.png"}, {"avatar_url": ["ERR_INVALID"]}),
    ({"source": {"privacy": "direct"}}, {"source[privacy]": ["ERR_INCLUSION"]}),
])
async def test_update_credentials_details_name_each_field(api: Api, body: dict[str, Any],
                                                         expected: dict[str, list[str]]) -> None:
    user = await api.user()
    status, answer = await update(api, user, json=body)
    assert status == 422, answer
    assert codes(answer) == expected


FIELDS = [{"name": "Pronouns", "value": "they/them"}, {"name": "Team", "value": "Platform"}]


@pytest.mark.parametrize("form", ["form", "json_object", "json_array"])
async def test_fields_attributes_in_every_form_clients_send(api: Api, form: str) -> None:
    user = await api.user()
    if form == "form":  # indexed hash, positions out of order as a form may send them
        kwargs: dict[str, Any] = {"data": {
            "fields_attributes[1][name]": "Team", "fields_attributes[1][value]": "Platform",
            "fields_attributes[0][name]": "Pronouns", "fields_attributes[0][value]": "they/them"}}
    elif form == "json_object":
        kwargs = {"json": {"fields_attributes": {"1": FIELDS[1], "0": FIELDS[0]}}}
    else:
        kwargs = {"json": {"fields_attributes": FIELDS}}
    status, answer = await update(api, user, **kwargs)
    assert status == 200, answer
    assert [{"name": f["name"], "value": f["value"]} for f in answer["source"]["fields"]] == FIELDS


@pytest.mark.parametrize("path", ["/api/v1/timelines/public", "/api/v1/timelines/tag/hubbub"])
async def test_no_token_is_missing_a_bad_one_invalid(api: Api, path: str) -> None:
    r = await api.client.get(path)
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "The access token is missing"
    r = await api.client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "The access token is invalid"
