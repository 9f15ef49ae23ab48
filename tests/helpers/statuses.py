"""Statuses and polls through the API, for tests of what they do elsewhere too."""

from __future__ import annotations

import httpx

from tests.helpers import Api, User


async def get_status(api: Api, user: User, status_id: str) -> httpx.Response:
    return await api.client.get(f"/api/v1/statuses/{status_id}", headers=user.headers)


async def act(api: Api, user: User, status_id: str, action: str, **body) -> httpx.Response:
    return await api.client.post(f"/api/v1/statuses/{status_id}/{action}", headers=user.headers,
                                 json=body or None)


async def notes(api: Api, user: User, type_: str | None = None) -> list[dict]:
    params = {"types[]": type_} if type_ else {}
    r = await api.client.get("/api/v1/notifications", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def home_ids(api: Api, user: User) -> list[str]:
    return [s["id"] for s in (await api.home(user)).json()]


HOUR = 3600


async def post_poll(api: Api, user: User, options=("a", "b"), **poll) -> dict:
    status = await api.post(user, "q?", poll={"options": list(options), "expires_in": HOUR,
                                               **poll})
    assert status["poll"] is not None
    return status


async def vote(api: Api, user: User, poll_id: str, choices: list) -> httpx.Response:
    return await api.client.post(f"/api/v1/polls/{poll_id}/votes", headers=user.headers,
                                 json={"choices": choices})


async def get_poll(api: Api, user: User, poll_id: str) -> httpx.Response:
    return await api.client.get(f"/api/v1/polls/{poll_id}", headers=user.headers)
