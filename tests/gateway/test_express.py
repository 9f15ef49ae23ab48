"""The express lane (services/gateway/express.py) answers home timeline reads in front of the
framework: the same status, body and headers as the Litestar route gives, and every error left
to the framework."""

from __future__ import annotations

import httpx

from tests.helpers import Api


async def _framework(api: Api, path: str, headers: dict[str, str]) -> httpx.Response:
    """The same request answered by the Litestar app behind the lane, in process."""
    transport = httpx.ASGITransport(app=api.stack.app.app)
    async with httpx.AsyncClient(transport=transport, base_url=api.stack.base_url) as client:
        return await client.get(path, headers=headers)


def _comparable(r: httpx.Response) -> tuple:
    # Each answer is one more request counted: the same rate-limit headers, other numbers.
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(r.headers)
    headers = {k: v for k, v in r.headers.items()
               if k not in ("date", "server") and not k.startswith("x-ratelimit-")}
    return r.status_code, headers, r.content


async def test_home_reads_take_the_lane_and_answer_as_the_framework(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    posts = [await api.post(author, f"post {i}") for i in range(5)]
    await api.idle()
    lane = api.stack.app
    for path in ("/api/v1/timelines/home",
                 "/api/v1/timelines/home?limit=2",
                 f"/api/v1/timelines/home?limit=2&max_id={posts[3]['id']}",
                 f"/api/v1/timelines/home?min_id={posts[1]['id']}",
                 f"/api/v1/timelines/home?since_id={posts[4]['id']}"):
        for extra in ({}, {"Origin": "https://client.example"}):
            headers = {**reader.headers, **extra}
            before = lane.served
            fast = await api.client.get(path, headers=headers)
            assert lane.served == before + 1, path
            slow = await _framework(api, path, headers)
            assert _comparable(fast) == _comparable(slow), path
    page = (await api.client.get("/api/v1/timelines/home?limit=2",
                                 headers=reader.headers)).json()
    assert [s["id"] for s in page] == [posts[4]["id"], posts[3]["id"]]


async def test_errors_are_left_to_the_framework(api: Api) -> None:
    reader = await api.user()
    lane = api.stack.app
    before = lane.served
    cases = [({}, 401), ({"Authorization": "Bearer not-a-token"}, 401)]
    for headers, status in cases:
        r = await api.client.get("/api/v1/timelines/home", headers=headers)
        assert r.status_code == status
        assert r.json()["error"]
    r = await api.client.get("/api/v1/timelines/home?limit=many", headers=reader.headers)
    assert r.status_code == 422 and "limit" in r.json()["error"]
    assert lane.served == before
    # A parameter the route does not know is ignored, on either lane (Mastodon's leniency).
    r = await api.client.get("/api/v1/timelines/home?colour=red", headers=reader.headers)
    assert r.status_code == 200, r.text
    before = lane.served
    # Other methods and paths are the framework's.
    r = await api.client.post("/api/v1/timelines/home", headers=reader.headers)
    assert r.status_code == 405
