"""Content filters in graph: a reader's cached set holds only what can match now (expired
filters left out, the cache kept no longer than the first expiry), and a change forgets it."""

from __future__ import annotations

from shared import viewer_cache
from tests.helpers import Api
from tests.helpers.filters import make_filter, shown, titles


async def test_an_expired_filter_stops_applying(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    post = await api.post(author, "the finale, in detail")
    await api.idle()
    made = await make_filter(api, reader, "Soon over", ["finale"], context=["home"],
                             expires_in=1)
    await make_filter(api, reader, "Hide for a while", ["detail"], context=["home"],
                      filter_action="hide", expires_in=3600)
    assert shown((await api.home(reader)).json(), post["id"]) is None
    r = api.stack.graph.redis.main
    key = viewer_cache.filters_key(int(reader.id))
    assert 0 < await r.ttl(key) <= 2  # kept no longer than the first expiry
    # Time passes (set in the store, no sleep), and the reader's cache with it.
    await api.stack.graph.pool.execute(
        "UPDATE filters SET expires_at = now() - interval '1 second' "
        "WHERE account_id = $1", int(reader.id))
    await r.delete(key)
    page = (await api.home(reader)).json()
    assert shown(page, post["id"])["filtered"] == []
    assert await r.hget(key, viewer_cache.STAMP_FIELD) == viewer_cache.NO_FILTERS
    # Still listed (Mastodon lists expired filters), with its expiry.
    listed = (await api.client.get("/api/v2/filters", headers=reader.headers)).json()
    assert [f["id"] for f in listed][0] == made["id"] and listed[0]["expires_at"]


async def test_a_change_forgets_the_readers_cached_set(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    post = await api.post(author, "words of warning")
    await api.idle()
    r = api.stack.graph.redis.main
    key = viewer_cache.filters_key(int(reader.id))
    await api.home(reader)
    assert await r.hget(key, viewer_cache.STAMP_FIELD) == viewer_cache.NO_FILTERS
    made = await make_filter(api, reader, "Warning", ["warning"], context=["home"])
    assert await r.exists(key) == 0  # forgotten by the change
    assert titles(shown((await api.home(reader)).json(), post["id"])) == ["Warning"]
    stamp = await r.hget(key, viewer_cache.STAMP_FIELD)
    assert stamp not in (None, viewer_cache.NO_FILTERS)
    assert viewer_cache.decode_filters(stamp, await r.hget(key, viewer_cache.BODY_FIELD))
    r2 = await api.client.post(f"/api/v2/filters/{made['id']}/keywords",
                               headers=reader.headers, json={"keyword": "other"})
    assert r2.status_code == 200
    assert await r.exists(key) == 0


async def test_a_fill_that_raced_a_change_stores_nothing(api: Api) -> None:
    r = api.stack.graph.redis.main
    reader = 10**15 + 11
    key = viewer_cache.filters_key(reader)
    seen = await viewer_cache.generation(r, key)
    await viewer_cache.forget_filters(r, reader)  # a change lands between read and store
    await viewer_cache.fill_filters(r, reader, seen, "-", b"")
    assert await r.exists(key) == 0
