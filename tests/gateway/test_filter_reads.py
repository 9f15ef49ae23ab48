"""The reader's content filters on the read path (services/gateway/hydrate/reader_filters.py):
a reader without filters costs the home read nothing (the cached "no filters" stamp, read in the
round trip the read makes anyway, and no filter work), a reader's set is compiled once per
gateway, a change reaches every gateway replica at the next read, and the filtered page equals
the one rendered from scratch. Matching itself: tests/unit/test_filter_matching.py."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.asyncio.client import connect

from services.gateway.hydrate import reader_filters
from services.gateway.hydrate.reader_filters import ReaderFilters
from services.graph.use_cases import filter_checks
from shared import viewer_cache
from tests.helpers import Api, second_gateway
from tests.helpers.filters import make_filter, shown, titles
from tests.helpers.streaming import next_event, subscribe, ws_url


async def test_a_reader_without_filters_does_no_filter_work(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.post(author, "hello")
    await api.idle()
    sets = api.stack.gateway.hydrator.filters
    await api.home(reader)  # the first read finds no stamp: graph fills "no filters"
    stamp = await api.stack.graph.redis.main.hget(viewer_cache.filters_key(int(reader.id)),
                                                  viewer_cache.STAMP_FIELD)
    assert stamp == viewer_cache.NO_FILTERS

    def no_filter_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("filter work for a reader without filters")

    async def no_compile(*args: object, **kwargs: object) -> None:
        raise AssertionError("a filter set compiled for a reader without filters")

    for name in ("apply", "judge", "matches"):
        monkeypatch.setattr(ReaderFilters, name, no_filter_work)
    monkeypatch.setattr(reader_filters.FilterSets, "_compile", no_compile)
    asked, compiled = sets.asked, sets.compiled
    for _ in range(3):
        page = (await api.home(reader)).json()
        assert page and all(s["filtered"] == [] for s in page)
    assert (sets.asked, sets.compiled) == (asked, compiled)  # no graph request, no compile


async def test_a_set_is_compiled_once_and_a_change_reaches_every_replica(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    post = await api.post(author, "mind the gap")
    await api.idle()
    made = await make_filter(api, reader, "Gap", ["gap"], context=["home"])
    sets = api.stack.gateway.hydrator.filters
    page = (await api.home(reader)).json()
    assert titles(shown(page, post["id"])) == ["Gap"]
    # Equal to rendering from scratch, with the same filters.
    hydrator = api.stack.gateway.hydrator
    found = await hydrator.statuses([int(s["id"]) for s in page])
    filters = await hydrator.reader_filters(int(reader.id))
    assert page == await hydrator.render_statuses([found[int(s["id"])] for s in page],
                                                  int(reader.id), filters, "home")
    compiled, asked = sets.compiled, sets.asked
    for _ in range(3):
        assert titles(shown((await api.home(reader)).json(), post["id"])) == ["Gap"]
    assert (sets.compiled, sets.asked) == (compiled, asked)

    async with second_gateway(api.stack) as (other_url, _), \
            httpx.AsyncClient(base_url=other_url) as other:
        async def both() -> list[list[str]]:
            answers = []
            for client in (api.client, other):
                r = await client.get("/api/v1/timelines/home", headers=reader.headers)
                answers.append(titles(shown(r.json(), post["id"])))
            return answers

        assert await both() == [["Gap"], ["Gap"]]
        r = await api.client.put(f"/api/v2/filters/{made['id']}", headers=reader.headers,
                                 json={"title": "Gap renamed"})
        assert r.status_code == 200
        assert await both() == [["Gap renamed"], ["Gap renamed"]]
        assert (await api.client.delete(f"/api/v2/filters/{made['id']}",
                                        headers=reader.headers)).status_code == 200
        assert await both() == [[], []]


async def test_a_stream_learns_a_changed_set_from_graph_not_from_the_cache_left_behind(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Graph forgets the cached set only after the commit that sent ``FiltersChanged``, so a
    stream that hears the event first may still find the old set in Valkey: it asks graph."""
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    made = await make_filter(api, reader, "Spoilers", ["finale"], context=["home"])
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, stream="user")  # learns the set (graph fills the cache)
        key = viewer_cache.filters_key(int(reader.id))
        assert await api.stack.graph.redis.main.hget(key, viewer_cache.STAMP_FIELD) \
            not in (None, viewer_cache.NO_FILTERS)
        # The forget after the commit comes late (as on a busy graph): the old set stays.
        late: list[tuple[object, int]] = []

        async def forget_later(cache: object, owner_id: int) -> None:
            late.append((cache, owner_id))

        monkeypatch.setattr(filter_checks, "committed", forget_later)
        r = await api.client.delete(f"/api/v2/filters/{made['id']}", headers=reader.headers)
        assert r.status_code == 200 and late
        assert (await next_event(ws))["event"] == "filters_changed"
        again = await api.post(author, "another finale")
        status = json.loads((await next_event(ws))["payload"])
        assert (status["id"], status["filtered"]) == (again["id"], [])
