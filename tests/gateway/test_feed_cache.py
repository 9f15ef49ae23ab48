"""Public feeds' cache (services/gateway/application/feed_cache.py): a reader polling with
validators costs no rendering, from the cache or without it, and no feed rendered before an
opt-in changed is served after."""

from __future__ import annotations

import pytest

from services.gateway.application.feed_cache import CachedFeed, FeedCache
from services.gateway.presenters import feeds as present
from tests.helpers import Api
from tests.helpers.feeds import fetch, switch


def refuse_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    def render(doc: present.FeedDoc, fmt: present.Format) -> bytes:
        raise AssertionError("rendered")
    monkeypatch.setattr(present, "render", render)


async def forget_rendered(api: Api) -> None:
    keys = [k async for k in api.stack.admin_redis.scan_iter(match="feed:{feeds}:*:*:*")]
    if keys:
        await api.stack.admin_redis.delete(*keys)


async def test_a_poll_for_an_unchanged_feed_renders_nothing(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    author = await api.user()
    await api.post(author, "news")
    await api.idle()
    await switch(api, author)
    path = f"/@{author.username}"
    first = await fetch(api, path, "atom")
    assert first.status_code == 200
    etag = first.headers["etag"]
    refuse_rendering(monkeypatch)
    # From the cache: the body as rendered, or a 304.
    again = await fetch(api, path, "atom")
    assert (again.status_code, again.content) == (200, first.content)
    assert (await fetch(api, path, "atom", **{"If-None-Match": etag})).status_code == 304
    # The cache gone (expired): the statuses' ids and versions give the same ETag, and no
    # rendering happens for a 304.
    await forget_rendered(api)
    r = await fetch(api, path, "atom", **{"If-None-Match": etag})
    assert (r.status_code, r.headers["etag"]) == (304, etag)
    r = await fetch(api, path, "atom", **{"If-Modified-Since": first.headers["last-modified"]})
    assert r.status_code == 304


async def test_an_edit_changes_the_etag(api: Api) -> None:
    author = await api.user()
    post = await api.post(author, "first words")
    await api.idle()
    await switch(api, author)
    path = f"/@{author.username}"
    before = await fetch(api, path, "json")
    r = await api.client.put(f"/api/v1/statuses/{post['id']}", headers=author.headers,
                             json={"status": "better words"})
    assert r.status_code == 200, r.text
    await api.idle()
    await forget_rendered(api)  # (instead of waiting out the minute)
    after = await fetch(api, path, "json", **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert b"better words" in after.content


async def test_a_feed_rendered_before_an_opt_in_changed_is_never_served(api: Api) -> None:
    cache = FeedCache(api.stack.admin_redis)
    generation, _ = await cache.read("tag", "race", "atom")
    await cache.store("tag", "race", "atom", CachedFeed(
        generation=generation, etag='"x"', last_modified_ms=0, body=b"old"))
    assert (await cache.read("tag", "race", "atom"))[1] is not None
    await cache.opt_in_changed()  # an opt-out landed while that feed was being rendered
    assert (await cache.read("tag", "race", "atom")) == (generation + 1, None)
