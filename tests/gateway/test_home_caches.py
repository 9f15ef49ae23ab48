"""The home read's in-process caches (services/gateway/hydrate/ and pages.py: decoded records
by their cached bytes, whole status fragments by the records they were made from, page read
plans, the page's parameters and Link): a page read again after any change shows the change at
once, and equals the page rendered from scratch."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from services.gateway import responses
from shared.records import big_followees_key
from tests.helpers import Api, User, unique
from tests.helpers.timelines import lower_threshold


async def _page(api: Api, reader: User) -> list[dict]:
    """The reader's home page, twice (the second read is served from the warm caches), checked
    against rendering from scratch (mastodon.status, none of the fragment caches)."""
    first = (await api.home(reader)).json()
    page = (await api.home(reader)).json()
    assert page == first
    hydrator = api.stack.gateway.hydrator
    found = await hydrator.statuses([int(s["id"]) for s in page])
    assert page == await hydrator.render_statuses([found[int(s["id"])] for s in page],
                                                  int(reader.id))
    return page


def _by_id(page: list[dict], status_id: str) -> dict:
    [found] = [s for s in page if s["id"] == status_id]
    return found


async def test_a_page_read_again_shows_every_change_at_once(api: Api) -> None:
    author, reader, fan, named = (await api.user(), await api.user(), await api.user(),
                                  await api.user())
    await api.follow(reader, author)
    first = await api.post(author, "first words")
    second = await api.post(author, "second words")
    await api.idle()
    page = await _page(api, reader)
    assert [s["id"] for s in page] == [second["id"], first["id"]]
    c = api.client

    # The status changes: an edit, then a favourite by someone else (its count).
    r = await c.put(f"/api/v1/statuses/{first['id']}", headers=author.headers,
                    json={"status": "first words, edited"})
    assert r.status_code == 200, r.text
    await api.idle()
    shown = _by_id(await _page(api, reader), first["id"])
    assert shown["content"] == "<p>first words, edited</p>" and shown["edited_at"]
    assert (await c.post(f"/api/v1/statuses/{second['id']}/favourite",
                         headers=fan.headers)).status_code == 200
    await api.idle()
    assert _by_id(await _page(api, reader), second["id"])["favourites_count"] == 1

    # The reader's own flags.
    for action, favourited in (("favourite", True), ("unfavourite", False)):
        assert (await c.post(f"/api/v1/statuses/{first['id']}/{action}",
                             headers=reader.headers)).status_code == 200
        assert _by_id(await _page(api, reader), first["id"])["favourited"] is favourited

    # The author's account, on every status of theirs.
    r = await c.patch("/api/v1/accounts/update_credentials", headers=author.headers,
                      json={"display_name": "Renamed Author"})
    assert r.status_code == 200, r.text
    await api.idle()
    page = await _page(api, reader)
    assert {s["account"]["display_name"] for s in page} == {"Renamed Author"}

    # An edit that mentions someone: an account the page's read plan did not guess.
    r = await c.put(f"/api/v1/statuses/{second['id']}", headers=author.headers,
                    json={"status": f"second words for @{named.username}"})
    assert r.status_code == 200, r.text
    await api.idle()
    shown = _by_id(await _page(api, reader), second["id"])
    assert [m["id"] for m in shown["mentions"]] == [named.id]

    # Deleted: gone from the page.
    assert (await c.delete(f"/api/v1/statuses/{first['id']}",
                           headers=author.headers)).status_code == 200
    await api.idle()
    assert [s["id"] for s in await _page(api, reader)] == [second["id"]]


async def test_a_reblogged_original_changes_at_once(api: Api) -> None:
    """An original that is not on the page itself (its reblog is): read in the same round trip
    as the page once seen, and never served stale."""
    stranger, reblogger, reader = await api.user(), await api.user(), await api.user()
    await api.follow(reader, reblogger)
    original = await api.post(stranger, "worth sharing")
    r = await api.client.post(f"/api/v1/statuses/{original['id']}/reblog",
                              headers=reblogger.headers)
    assert r.status_code == 200, r.text
    await api.idle()
    [shown] = await _page(api, reader)
    assert shown["reblog"]["id"] == original["id"] and not shown["reblog"]["bookmarked"]
    r = await api.client.put(f"/api/v1/statuses/{original['id']}", headers=stranger.headers,
                             json={"status": "worth sharing, edited"})
    assert r.status_code == 200, r.text
    await api.client.patch("/api/v1/accounts/update_credentials", headers=stranger.headers,
                           json={"display_name": "Known Stranger"})
    assert (await api.client.post(f"/api/v1/statuses/{original['id']}/bookmark",
                                  headers=reader.headers)).status_code == 200
    await api.idle()
    [shown] = await _page(api, reader)
    assert shown["reblog"]["content"] == "<p>worth sharing, edited</p>"
    assert shown["reblog"]["account"]["display_name"] == "Known Stranger"
    assert shown["reblog"]["bookmarked"] and shown["bookmarked"]


async def test_page_parameters_are_checked_on_every_read(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    posts = [await api.post(author, f"post {i}") for i in range(3)]
    await api.idle()
    for _ in range(2):  # a bad query is refused each time, not remembered as a page
        r = await api.client.get("/api/v1/timelines/home?limit=many", headers=reader.headers)
        assert r.status_code == 422
    for limit, expected in ((1, [posts[2]]), (2, posts[:0:-1]), (1, [posts[2]])):
        page = (await api.home(reader, limit=limit)).json()
        assert [s["id"] for s in page] == [p["id"] for p in expected]


def test_link_header_equals_urlencode() -> None:
    def reference(base_url: str, path: str, query: list[tuple[str, str]], newest: object,
                  oldest: object) -> str:
        kept = [(k, v) for k, v in query if k not in ("max_id", "min_id", "since_id")]
        url = f"{base_url}{path}"
        older = urlencode(kept + [("max_id", str(oldest))])
        newer = urlencode(kept + [("min_id", str(newest))])
        return f'<{url}?{older}>; rel="next", <{url}?{newer}>; rel="prev"'

    queries = [[], [("limit", "20")], [("limit", "2"), ("max_id", "5")],
               [("a b", "c&d=\u00e9"), ("x[]", "1"), ("since_id", "3")],
               [("min_id", "9"), ("local", "true")]]
    for query in queries:
        for newest, oldest in ((123, 45), ("a b/c", "2024-01-01T00:00:00+00:00"), (2**62, 0)):
            for base_url in ("http://one.example", "https://two.example"):
                for _ in range(2):  # the second time from the remembered prefix
                    assert (responses.cursor_link(base_url, "/api/v1/x", query, newest, oldest)
                            == reference(base_url, "/api/v1/x", query, newest, oldest))


async def test_a_page_read_again_follows_mutes_at_once(api: Api) -> None:
    """The same ids and the same records, but the reader's hidden accounts changed: a page
    remembered from the same replies must not be served (the network timeline keeps a muted
    author's posts and leaves them out at read time)."""
    domain = f"{unique('mutes')}.test"
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    post = await api.post(author, "see me")
    await api.idle()

    async def shown() -> list[str]:
        pages = []
        for _ in range(2):
            r = await api.client.get("/api/v1/timelines/public", headers=reader.headers)
            assert r.status_code == 200, r.text
            pages.append([s["id"] for s in r.json()])
        assert pages[0] == pages[1]
        return pages[0]

    assert await shown() == [post["id"]]
    assert (await api.client.post(f"/api/v1/accounts/{author.id}/mute",
                                  headers=reader.headers)).status_code == 200
    assert await shown() == []
    assert (await api.client.post(f"/api/v1/accounts/{author.id}/unmute",
                                  headers=reader.headers)).status_code == 200
    assert await shown() == [post["id"]]


async def test_big_authors_pages_follow_the_followees_read(api: Api,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The pages of followees above the fanout threshold are read with the home timeline, for
    the followees the reader's last read found: only while its cached followees are still
    those (a new one, once the cache says so, is merged from then on)."""
    lower_threshold(api, monkeypatch)
    first_big, second_big, reader, other = [await api.user() for _ in range(4)]
    for big in (first_big, second_big):
        await api.follow(other, big)  # two followers each: both "big"
    await api.follow(reader, first_big)
    await api.idle()
    await api.home(reader)  # it reads, so fanout writes to it; its big followees are known
    first = await api.post(first_big, "first big")
    await api.idle()
    assert [s["id"] for s in (await api.home(reader)).json()] == [first["id"]]
    await api.follow(reader, second_big)
    second = await api.post(second_big, "second big")
    await api.idle()
    # Followed now, but the followees cached in Redis are the old ones until they expire.
    await api.stack.gateway.redis.main.delete(big_followees_key(int(reader.id)))
    for _ in range(3):
        page = (await api.home(reader)).json()
        assert [s["id"] for s in page] == [second["id"], first["id"]]
    third = await api.post(first_big, "first big again")
    await api.idle()
    page = (await api.home(reader)).json()
    assert [s["id"] for s in page] == [third["id"], second["id"], first["id"]]
