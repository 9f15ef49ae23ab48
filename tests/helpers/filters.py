"""Content filters for the tests: make one through the API, read what a reader is shown, and a
token of exactly one scope (the filters' read and write scopes)."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, User, other_domain


async def make_filter(api: Api, user: User, title: str, keywords: list[str] | None = None,
                      context: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    """A v2 filter of ``user``'s (whole-word keywords unless told), made by JSON."""
    r = await api.client.post("/api/v2/filters", headers=user.headers, json={
        "title": title, "context": context or ["home", "notifications", "public", "thread",
                                               "account"],
        "keywords_attributes": [{"keyword": k} for k in keywords or []], **fields})
    assert r.status_code == 200, r.text
    return r.json()


def shown(statuses: list[dict[str, Any]], status_id: str) -> dict[str, Any] | None:
    """The status of that id among ``statuses`` (None: not there)."""
    return next((s for s in statuses if s["id"] == status_id), None)


def titles(status: dict[str, Any]) -> list[str]:
    """The titles of the filters a status shows as matching it."""
    return [result["filter"]["title"] for result in status["filtered"]]


async def member_with_password_grant(api: Api) -> User:
    """A member of a fresh network whose admin allowed the tests' app the password grant (so
    that tokens of one scope can be had: ``token_with``)."""
    domain = other_domain()
    admin, member = await api.user(domain=domain), await api.user(domain=domain)
    await api.allow_password_grant(admin)
    return member


async def token_with(api: Api, user: User, scope: str) -> dict[str, str]:
    """Headers with a token of ``user`` holding exactly ``scope``."""
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": user.email,
        "password": user.password, "scope": scope})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
