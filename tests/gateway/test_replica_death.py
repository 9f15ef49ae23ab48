"""No request lost when a replica dies: the gateway asks another replica (shared/bus.py
``call``), and a write sent twice is applied once (shared/request_keys.py)."""

from __future__ import annotations

from shared import metrics
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from tests.helpers import Api
from tests.helpers.replicas import doomed_replica, stopped_host


def _count(counter: object, *labels: str) -> float:
    return counter.labels(*labels)._value.get()  # type: ignore[attr-defined]


async def _statuses_of(api: Api, account_id: str) -> int:
    return int(await api.stack.posts.pool.fetchval(
        "SELECT count(*) FROM statuses WHERE account_id = $1", int(account_id)))


async def test_a_post_whose_replica_dies_before_applying_it_is_posted_once(api: Api) -> None:
    me = await api.user()
    recovered = _count(metrics.REQUEST_RETRIES, "posts", "status.create", "recovered")
    async with doomed_replica(api.stack, api.stack.posts, posts_api.STATUS_CREATE,
                              apply_first=False) as doomed:
        r = await api.client.post("/api/v1/statuses", headers=me.headers,
                                  json={"status": "through a dying replica"})
    assert doomed.received.is_set() and doomed.applied == 0
    assert r.status_code == 200, r.text
    assert await _statuses_of(api, me.id) == 1
    assert _count(metrics.REQUEST_RETRIES, "posts", "status.create", "recovered") == recovered + 1


async def test_a_post_whose_answer_was_lost_is_not_posted_twice(api: Api) -> None:
    """The first replica applied it and died before its answer arrived: the retry, with the same
    key, is answered with the same status, and there is one."""
    me = await api.user()
    async with doomed_replica(api.stack, api.stack.posts, posts_api.STATUS_CREATE,
                              apply_first=True) as doomed:
        r = await api.client.post("/api/v1/statuses", headers=me.headers,
                                  json={"status": "answer lost"})
    assert doomed.applied == 1
    assert r.status_code == 200, r.text
    assert await _statuses_of(api, me.id) == 1
    only = await api.stack.posts.pool.fetchval(
        "SELECT id FROM statuses WHERE account_id = $1", int(me.id))
    assert r.json()["id"] == str(only)
    await api.idle()
    r = await api.client.get(f"/api/v1/accounts/{me.id}/statuses", headers=me.headers)
    assert [s["id"] for s in r.json()] == [str(only)]


async def test_a_follow_whose_answer_was_lost_is_applied_once(api: Api) -> None:
    me, them = await api.user(), await api.user()
    async with doomed_replica(api.stack, api.stack.graph, graph_api.FOLLOW_CREATE,
                              apply_first=True) as doomed:
        r = await api.client.post(f"/api/v1/accounts/{them.id}/follow", headers=me.headers)
    assert doomed.applied == 1
    assert r.status_code == 200, r.text
    assert r.json()["following"] is True
    await api.idle()
    r = await api.client.get("/api/v1/notifications", headers=them.headers,
                             params={"types[]": "follow"})
    assert len(r.json()) == 1  # one follow event, one notification


async def test_a_read_whose_replica_dies_is_answered_by_another(api: Api) -> None:
    me = await api.user()
    status = await api.post(me, "read me")
    async with doomed_replica(api.stack, api.stack.posts, posts_api.STATUS_THREAD,
                              apply_first=False) as doomed:
        r = await api.client.get(f"/api/v1/statuses/{status['id']}/context", headers=me.headers)
    assert doomed.received.is_set()
    assert r.status_code == 200, r.text
    assert r.json() == {"ancestors": [], "descendants": []}


async def test_no_replica_at_all_is_503_with_retry_after(api: Api) -> None:
    me = await api.user()
    status = await api.post(me, "nobody serves posts")
    gave_up = _count(metrics.REQUEST_RETRIES, "posts", "status.thread", "gave_up")
    async with stopped_host(api.stack.posts):
        r = await api.client.get(f"/api/v1/statuses/{status['id']}/context", headers=me.headers)
        assert r.status_code == 503
        assert r.headers["Retry-After"]
        assert _count(metrics.REQUEST_RETRIES, "posts", "status.thread", "gave_up") == gave_up + 1
        r = await api.client.post("/api/v1/statuses", headers=me.headers,
                                  json={"status": "not now"})
        assert r.status_code == 503
        assert r.headers["Retry-After"]
    assert await _statuses_of(api, me.id) == 1


async def test_a_client_replaying_a_write_with_its_idempotency_key_gets_the_first_answer(
        api: Api) -> None:
    """Mastodon's Idempotency-Key, for any write: a list made twice with one key is one list."""
    me = await api.user()
    headers = {**me.headers, "Idempotency-Key": "make-team-list"}
    first = await api.client.post("/api/v1/lists", headers=headers, json={"title": "Team"})
    again = await api.client.post("/api/v1/lists", headers=headers, json={"title": "Team"})
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    r = await api.client.get("/api/v1/lists", headers=me.headers)
    assert len(r.json()) == 1
    # Another key (or none) is another request.
    other = await api.client.post("/api/v1/lists", headers=me.headers, json={"title": "Team"})
    assert other.json()["id"] != first.json()["id"]
    # The same key from another client is not this client's.
    you = await api.user()
    yours = await api.client.post("/api/v1/lists", headers={**you.headers,
                                  "Idempotency-Key": "make-team-list"}, json={"title": "Team"})
    assert yours.status_code == 200 and yours.json()["id"] != first.json()["id"]
