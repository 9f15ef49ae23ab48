"""Posting a status as the posts service stores it: bad input writes nothing, an idempotency key
makes one row, a cold cache reads from PostgreSQL."""

from __future__ import annotations

import pytest

from services.posts import status_cache
from shared.records import account_key, status_key, unpack_cached_status
from tests.helpers import Api


async def counts(api: Api) -> tuple[int, int]:
    pool = api.stack.posts.pool
    return (await pool.fetchval("SELECT count(*) FROM statuses"),
            await pool.fetchval("SELECT count(*) FROM outbox"))


@pytest.mark.parametrize("body, status_code", [
    ({"status": ""}, 422),
    ({"status": "   "}, 422),
    ({"status": "x" * 501}, 422),
    ({"status": "hi", "visibility": "everyone"}, 422),
    ({"status": "hi", "in_reply_to_id": "999999999"}, 404),
])
async def test_bad_input_is_4xx_and_writes_nothing(api: Api, body: dict, status_code: int
                                                   ) -> None:
    user = await api.user()
    before = await counts(api)
    r = await api.client.post("/api/v1/statuses", headers=user.headers, json=body)
    assert r.status_code == status_code, r.text
    assert isinstance(r.json()["error"], str)
    assert await counts(api) == before


async def test_malformed_json_is_400(api: Api) -> None:
    user = await api.user()
    before = await counts(api)
    r = await api.client.post("/api/v1/statuses", content=b'{"status": "oops"',
                              headers={**user.headers, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert "Malformed JSON" in r.json()["error"]
    assert await counts(api) == before


async def test_idempotency_key_makes_one_status(api: Api) -> None:
    user = await api.user()
    headers = {**user.headers, "Idempotency-Key": "retry-1"}
    first = await api.client.post("/api/v1/statuses", headers=headers, json={"status": "once"})
    second = await api.client.post("/api/v1/statuses", headers=headers, json={"status": "once"})
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    n = await api.stack.posts.pool.fetchval(
        "SELECT count(*) FROM statuses WHERE account_id = $1", int(user.id))
    assert n == 1


async def test_cold_cache_reads_from_postgres(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    status = await api.post(author, "cached, then not")
    await api.idle()
    r = api.stack.admin_redis  # both caches, posts' and graph's
    await r.delete(f"status:{status['id']}", account_key(int(author.id)))
    home = await api.home(reader)
    assert [s["id"] for s in home.json()] == [status["id"]]
    assert home.json()[0]["content"] == status["content"]
    assert await r.exists(f"status:{status['id']}")  # the miss refilled the cache


async def test_an_edit_is_in_the_status_cache_when_it_commits(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The edit's event may be relayed the moment the commit lands, and a stream renders the
    edit from the cache: the new version is cached before the commit, not only after."""
    user = await api.user()
    posted = await api.post(user, "first draft")

    async def late(*args: object, **kwargs: object) -> list[object]:
        return []  # the refresh after the commit comes too late to count

    monkeypatch.setattr(status_cache, "refresh", late)
    r = await api.client.put(f"/api/v1/statuses/{posted['id']}", headers=user.headers,
                             json={"status": "final"})
    assert r.status_code == 200, r.text
    raw = await api.stack.posts.redis.main.get(status_key(int(posted["id"])))
    assert raw and unpack_cached_status(raw).text == "final"


async def test_an_edit_that_does_not_commit_leaves_nothing_cached(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    user = await api.user()
    posted = await api.post(user, "first draft")
    real_put = status_cache.put

    async def put_then_fail(r: object, statuses: list) -> None:
        await real_put(r, statuses)  # type: ignore[arg-type]
        raise ConnectionResetError("the database went away before the commit")

    monkeypatch.setattr(status_cache, "put", put_then_fail)
    r = await api.client.put(f"/api/v1/statuses/{posted['id']}", headers=user.headers,
                             json={"status": "never saved"})
    assert r.status_code == 503, r.text
    assert await api.stack.posts.redis.main.get(status_key(int(posted["id"]))) is None
    monkeypatch.setattr(status_cache, "put", real_put)
    r = await api.client.get(f"/api/v1/statuses/{posted['id']}", headers=user.headers)
    assert r.json()["content"] == "<p>first draft</p>"


async def test_the_status_cache_read_through_serves_caches_and_tombstones(api: Api) -> None:
    """What a favourite or reblog decides by (author, visibility) comes from the readers' cache,
    a miss fills it from the database, and a deleted status is no status."""
    author = await api.user()
    status = await api.post(author, "read me through the cache")
    status_id = int(status["id"])
    r, pool = api.stack.posts.redis.main, api.stack.posts.pool
    await status_cache.forget(r, status_id)
    found = await status_cache.get(r, pool, status_id)
    assert found is not None and found.id == status_id and found.text == "read me through the cache"
    assert await r.get(status_key(status_id)) is not None  # the miss filled the cache
    await pool.execute("UPDATE statuses SET text = 'changed behind the cache' WHERE id = $1",
                       status_id)
    cached = await status_cache.get(r, pool, status_id)
    assert cached is not None and cached.text == "read me through the cache"  # from the cache
    r2 = await api.client.delete(f"/api/v1/statuses/{status['id']}", headers=author.headers)
    assert r2.status_code == 200
    assert await status_cache.get(r, pool, status_id) is None  # the tombstone
