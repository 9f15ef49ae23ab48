"""After a reader's favourite, reblog or bookmark, posts caches the reader's flags for the
status (services/posts/flag_cache.py): the gateway renders its answer without asking posts
for them, and the answer says what the reader just did."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.posts import flag_cache, store
from shared import viewer_cache
from tests.helpers import Api


def flags_asked() -> float:
    return REGISTRY.get_sample_value("hubbub_service_request_seconds_count",
                                     {"endpoint": "posts.status.viewer_flags"}) or 0.0


async def test_an_action_answers_from_the_flags_it_cached(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    status = await api.post(author, "worth a star")
    before = flags_asked()
    shown = {}
    for action, flag in (("favourite", "favourited"), ("reblog", "reblogged"),
                         ("bookmark", "bookmarked"), ("unfavourite", "favourited")):
        r = await api.client.post(f"/api/v1/statuses/{status['id']}/{action}",
                                  headers=reader.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        shown[action] = (body["reblog"] or body)[flag]
    assert shown == {"favourite": True, "reblog": True, "bookmark": True, "unfavourite": False}
    assert flags_asked() == before
    # What the cache holds is what PostgreSQL says: a fresh read agrees.
    r = await api.client.get(f"/api/v1/statuses/{status['id']}", headers=reader.headers)
    got = r.json()
    assert (got["favourited"], got["reblogged"], got["bookmarked"]) == (False, True, True)


async def test_a_favourite_or_reblog_caches_the_flags_its_statement_read(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its statement reads the reader's other flags on the status (a bookmark, a vote): cached
    with the favourite, PostgreSQL not asked again (services/posts/store/reactions.py
    ``Counted``); the same for a reblog."""
    author, reader = await api.user(), await api.user()
    status = await api.post(author, "bookmark, then star",
                            poll={"options": ["a", "b"], "expires_in": 600})
    status_id = int(status["id"])
    assert (await api.client.post(f"/api/v1/statuses/{status_id}/bookmark",
                                  headers=reader.headers)).status_code == 200
    r = await api.client.post(f"/api/v1/polls/{status['poll']['id']}/votes",
                              headers=reader.headers, json={"choices": ["1"]})
    assert r.status_code == 200, r.text
    reads: list[list[int]] = []
    read = store.flags_among

    async def counting(conn, account_id, ids):  # type: ignore[no-untyped-def]
        reads.append(list(ids))
        return await read(conn, account_id, ids)

    monkeypatch.setattr(flag_cache.store, "flags_among", counting)
    r = await api.client.post(f"/api/v1/statuses/{status_id}/favourite", headers=reader.headers)
    assert r.status_code == 200 and r.json()["favourited"] and r.json()["bookmarked"]
    assert reads == []  # not read again
    cache = api.stack.posts.redis.main
    raw = await cache.hget(viewer_cache.flags_key(int(reader.id)), str(status_id))
    assert viewer_cache.decode_flags(raw) == viewer_cache.Flags(
        favourited=True, bookmarked=True, poll_id=int(status["poll"]["id"]), votes=(1,))
    # A reblog's statement reads them too.
    r = await api.client.post(f"/api/v1/statuses/{status_id}/reblog", headers=reader.headers)
    assert r.status_code == 200 and r.json()["reblog"]["reblogged"]
    assert reads == []
    raw = await cache.hget(viewer_cache.flags_key(int(reader.id)), str(status_id))
    assert viewer_cache.decode_flags(raw) == viewer_cache.Flags(
        favourited=True, reblogged=True, bookmarked=True, poll_id=int(status["poll"]["id"]),
        votes=(1,))


async def test_a_change_between_drops_what_the_statement_read(api: Api) -> None:
    """Another change of the reader's flags after the generation was noted: what the first
    read may be stale, so it is dropped, not stored (and the generation moves on)."""
    reader, status_id = 4_242_424, 99_000_001
    cache = api.stack.posts.redis.main
    key = viewer_cache.flags_key(reader)
    seen = await viewer_cache.generation(cache, key)
    await viewer_cache.forget_flags(cache, reader, status_id)  # another change, committed
    stored = await viewer_cache.changed_flags(
        cache, reader, seen, {status_id: viewer_cache.Flags(favourited=True)})
    assert stored is False
    assert await cache.hget(key, str(status_id)) is None
    seen = await viewer_cache.generation(cache, key)
    assert await viewer_cache.changed_flags(
        cache, reader, seen, {status_id: viewer_cache.Flags(favourited=True)})
    assert await viewer_cache.generation(cache, key) != seen  # readers' fills refused
