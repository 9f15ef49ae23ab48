"""Filters applied where the reader reads: each status carries ``filtered`` (a FilterResult per
matching filter of the reader's, in the read's context), a ``hide`` filter leaves it out, and
matching is Mastodon's (case-insensitive, whole words or not, keywords as literal text, against
the text, spoiler text and poll options; a reblog by its original)."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, User, other_domain, unique
from tests.helpers.filters import make_filter, shown, titles

BASE = "/api/v2/filters"


async def _home(api: Api, reader: User) -> list[dict[str, Any]]:
    return (await api.home(reader, limit=40)).json()


async def _get(api: Api, reader: User, path: str, **params: Any) -> Any:
    r = await api.client.get(path, headers=reader.headers, params={"limit": 40, **params})
    assert r.status_code == 200, r.text
    return r.json()


async def _pair(api: Api) -> tuple[User, User]:
    """A reader following an author, in a network of their own (its public timeline holds only
    what the test posts)."""
    domain = other_domain()
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    await api.follow(reader, author)
    return author, reader


async def test_home_shows_filter_results_and_leaves_out_hidden_statuses(api: Api) -> None:
    author, reader = await _pair(api)
    plain = await api.post(author, "nothing to see")
    warned = await api.post(author, "The FINALE was great")
    hidden = await api.post(author, "a word about crypto")
    elsewhere = await api.post(author, "only public talk")
    await api.idle()
    assert all(s["filtered"] == [] for s in await _home(api, reader))  # no filters yet

    warn = await make_filter(api, reader, "Spoilers", ["finale"], context=["home"])
    await make_filter(api, reader, "Coins", ["crypto"], context=["home"], filter_action="hide")
    await make_filter(api, reader, "Public only", ["talk"], context=["public"])
    page = await _home(api, reader)
    assert shown(page, hidden["id"]) is None
    assert shown(page, plain["id"])["filtered"] == []
    assert shown(page, elsewhere["id"])["filtered"] == []  # another context
    [result] = shown(page, warned["id"])["filtered"]
    assert result == {
        "filter": {"id": warn["id"], "title": "Spoilers", "context": ["home"],
                   "expires_at": None, "filter_action": "warn"},
        "keyword_matches": ["FINALE"], "status_matches": None}
    # The express lane and the framework answer alike (the second read is warm).
    assert await _home(api, reader) == page

    # A change applies at once: the filter deleted, the status is plain again.
    assert (await api.client.delete(f"{BASE}/{warn['id']}",
                                    headers=reader.headers)).status_code == 200
    assert shown(await _home(api, reader), warned["id"])["filtered"] == []


async def test_whole_words_substrings_and_literal_keywords(api: Api) -> None:
    author, reader = await _pair(api)
    posts = {name: await api.post(author, text) for name, text in (
        ("concat", "we concatenate strings"),
        ("cat", "my Cat, sleeping"),
        ("literal", "a regex a.*b( right here"),
        ("looks like it", "aXXXb( is not it"),
        ("hash", "tagged #release today"))}
    spoiler = await api.post(author, "innocent text", spoiler_text="Ending discussed")
    poll = await api.post(author, "pick one", poll={"options": ["tea", "Coffee"],
                                                   "expires_in": 3600})
    await api.idle()
    await make_filter(api, reader, "Whole cat", ["cat"], context=["home"])
    r = await api.client.post(BASE, headers=reader.headers, json={
        "title": "Parts", "context": ["home"],
        "keywords_attributes": [{"keyword": "catenat", "whole_word": False},
                                {"keyword": "a.*b(", "whole_word": True},
                                {"keyword": "#release", "whole_word": True}]})
    assert r.status_code == 200, r.text
    await make_filter(api, reader, "Hidden parts", ["ending", "coffee"], context=["home"])
    page = await _home(api, reader)
    assert titles(shown(page, posts["concat"]["id"])) == ["Parts"]  # not the whole word "cat"
    assert titles(shown(page, posts["cat"]["id"])) == ["Whole cat"]
    literal = shown(page, posts["literal"]["id"])["filtered"]
    assert [(x["filter"]["title"], x["keyword_matches"]) for x in literal] == [
        ("Parts", ["a.*b("])]
    assert shown(page, posts["looks like it"]["id"])["filtered"] == []
    assert titles(shown(page, posts["hash"]["id"])) == ["Parts"]
    assert titles(shown(page, spoiler["id"])) == ["Hidden parts"]
    assert shown(page, poll["id"])["filtered"][0]["keyword_matches"] == ["Coffee"]


async def test_status_rules_and_reblogs(api: Api) -> None:
    author, reader = await _pair(api)
    domain = author.email.split("@")[1]
    reblogger = await api.user(domain=domain)
    await api.follow(reader, reblogger)
    stranger = await api.user(domain=domain)  # not followed: reaches the reader as a reblog
    named = await api.post(author, "filter this one by its id")
    original = await api.post(stranger, "a gossip worth sharing")
    r = await api.client.post(f"/api/v1/statuses/{original['id']}/reblog",
                              headers=reblogger.headers)
    assert r.status_code == 200, r.text
    reblog = r.json()
    await api.idle()
    by_id = await make_filter(api, reader, "By id", context=["home"])
    r = await api.client.post(f"{BASE}/{by_id['id']}/statuses", headers=reader.headers,
                              json={"status_id": named["id"]})
    assert r.status_code == 200, r.text
    await make_filter(api, reader, "Gossip", ["gossip"], context=["home"])
    page = await _home(api, reader)
    [result] = shown(page, named["id"])["filtered"]
    assert (result["keyword_matches"], result["status_matches"]) == (None, [named["id"]])
    shared = shown(page, reblog["id"])
    assert titles(shared) == ["Gossip"] and titles(shared["reblog"]) == ["Gossip"]
    # Hidden, the reblog goes too.
    await make_filter(api, reader, "Hide gossip", ["gossip"], context=["home"],
                      filter_action="hide")
    assert shown(await _home(api, reader), reblog["id"]) is None


async def test_each_timeline_applies_its_context(api: Api) -> None:
    author, reader = await _pair(api)
    tag = unique("tag")
    warned = await api.post(author, f"warn about this #{tag}")
    hidden = await api.post(author, f"hide this please #{tag}")
    team = (await api.client.post("/api/v1/lists", headers=reader.headers,
                                  json={"title": "Team"})).json()
    await api.client.post(f"/api/v1/lists/{team['id']}/accounts", headers=reader.headers,
                          json={"account_ids": [author.id]})
    await api.idle()
    later_warned = await api.post(author, "warn once more")
    await api.idle()
    for context in ("public", "account", "home"):
        await make_filter(api, reader, f"Warn {context}", ["warn"], context=[context])
        await make_filter(api, reader, f"Hide {context}", ["hide"], context=[context],
                          filter_action="hide")
    pages = {
        "public": await _get(api, reader, "/api/v1/timelines/public"),
        "public tag": await _get(api, reader, f"/api/v1/timelines/tag/{tag}"),
        "account": await _get(api, reader, f"/api/v1/accounts/{author.id}/statuses"),
        "home list": await _get(api, reader, f"/api/v1/timelines/list/{team['id']}"),
    }
    for name, page in pages.items():
        context = name.split()[0]
        assert shown(page, hidden["id"]) is None, name
        assert titles(shown(page, warned["id"])) == [f"Warn {context}"], name
    assert titles(shown(pages["home list"], later_warned["id"])) == ["Warn home"]


async def test_threads_and_single_statuses(api: Api) -> None:
    author, reader = await _pair(api)
    root = await api.post(author, "the root")
    warned = await api.post(author, "a spoiler reply", in_reply_to_id=root["id"])
    hidden = await api.post(author, "a rude reply", in_reply_to_id=root["id"])
    await make_filter(api, reader, "Spoilers", ["spoiler"], context=["thread"])
    await make_filter(api, reader, "Rude", ["rude"], context=["thread"], filter_action="hide")
    await make_filter(api, reader, "Home only", ["root"], context=["home"])
    thread = await _get(api, reader, f"/api/v1/statuses/{root['id']}/context")
    assert [s["id"] for s in thread["descendants"]] == [warned["id"]]
    assert titles(thread["descendants"][0]) == ["Spoilers"]
    # Asked for by id: shown, with what the filters say (a hide filter too).
    alone = await _get(api, reader, f"/api/v1/statuses/{hidden['id']}")
    assert [(x["filter"]["title"], x["filter"]["filter_action"]) for x in alone["filtered"]] \
        == [("Rude", "hide")]
    assert (await _get(api, reader, f"/api/v1/statuses/{root['id']}"))["filtered"] == []
    # Another reader sees no one else's filters.
    other = await api.user(domain=author.email.split("@")[1])
    assert (await _get(api, other, f"/api/v1/statuses/{warned['id']}"))["filtered"] == []


async def test_notifications_apply_their_context(api: Api) -> None:
    author, reader = await _pair(api)
    warned = await api.post(author, f"@{reader.username} about the launch")
    hidden = await api.post(author, f"@{reader.username} spam spam")
    plain = await api.post(author, f"@{reader.username} hello")
    await api.idle()
    await make_filter(api, reader, "Launch", ["launch"], context=["notifications"])
    await make_filter(api, reader, "Spam", ["spam"], context=["notifications"],
                      filter_action="hide")
    await make_filter(api, reader, "Not here", ["hello"], context=["home"])
    notes = await _get(api, reader, "/api/v1/notifications")
    by_status = {n["status"]["id"]: n for n in notes if n.get("status")}
    assert hidden["id"] not in by_status
    assert titles(by_status[warned["id"]]["status"]) == ["Launch"]
    assert by_status[plain["id"]]["status"]["filtered"] == []
