"""Mastodon's v1 filters, as Mastodon maps them onto v2 filters: a v1 filter is one keyword
(its id is the keyword's), with its filter's context, expiry and action (irreversible: hide)."""

from __future__ import annotations

from tests.helpers import Api
from tests.helpers.filters import make_filter

V1 = "/api/v1/filters"


async def test_a_v1_filter_is_a_filter_with_one_keyword(api: Api) -> None:
    me = await api.user()
    c = api.client
    r = await c.post(V1, headers=me.headers, data={
        "phrase": "Rumour", "context[]": ["home", "thread"], "irreversible": "true",
        "whole_word": "false", "expires_in": "600"})
    assert r.status_code == 200, r.text
    v1 = r.json()
    assert (v1["phrase"], v1["context"], v1["irreversible"], v1["whole_word"]) == (
        "Rumour", ["home", "thread"], True, False)
    assert v1["expires_at"] is not None
    # The same, seen through v2: a filter titled by the phrase, hiding, with that keyword.
    [v2] = (await c.get("/api/v2/filters", headers=me.headers)).json()
    assert (v2["title"], v2["filter_action"], v2["context"]) == ("Rumour", "hide",
                                                                 ["home", "thread"])
    assert [(k["id"], k["keyword"]) for k in v2["keywords"]] == [(v1["id"], "Rumour")]
    assert (await c.get(f"{V1}/{v1['id']}", headers=me.headers)).json() == v1

    r = await c.put(f"{V1}/{v1['id']}", headers=me.headers, json={
        "phrase": "gossip", "context": ["public"], "irreversible": False, "whole_word": True,
        "expires_in": None})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["id"], changed["phrase"], changed["context"], changed["irreversible"],
            changed["whole_word"], changed["expires_at"]) == (
        v1["id"], "gossip", ["public"], False, True, None)

    r = await c.delete(f"{V1}/{v1['id']}", headers=me.headers)
    assert r.status_code == 200 and r.json() == {}
    assert (await c.get(f"{V1}/{v1['id']}", headers=me.headers)).status_code == 404
    # Its filter held nothing else: gone too.
    assert (await c.get("/api/v2/filters", headers=me.headers)).json() == []


async def test_v1_lists_every_keyword_and_keeps_a_shared_filter_whole(api: Api) -> None:
    me = await api.user()
    c = api.client
    shared = await make_filter(api, me, "Two words", ["first", "second"], context=["home"])
    listed = (await c.get(V1, headers=me.headers)).json()
    assert [(f["phrase"], f["context"], f["irreversible"]) for f in listed] == [
        ("first", ["home"], False), ("second", ["home"], False)]
    first = listed[0]
    # The keyword alone may change; the filter it shares with another keyword may not (422,
    # as Mastodon), and nothing changes.
    r = await c.put(f"{V1}/{first['id']}", headers=me.headers, json={
        "phrase": "premier", "context": ["home"], "irreversible": False, "expires_in": ""})
    assert r.status_code == 200 and r.json()["phrase"] == "premier"  # the rest as it was
    r = await c.put(f"{V1}/{first['id']}", headers=me.headers,
                    json={"phrase": "x", "context": ["public"]})
    assert r.status_code == 422, r.text
    assert "more than one filter keyword" in r.json()["error"]
    whole = (await c.get(f"/api/v2/filters/{shared['id']}", headers=me.headers)).json()
    assert whole["context"] == ["home"]
    assert [k["keyword"] for k in whole["keywords"]] == ["premier", "second"]
    # Deleting one keyword of two keeps the filter with the other.
    assert (await c.delete(f"{V1}/{first['id']}", headers=me.headers)).status_code == 200
    whole = (await c.get(f"/api/v2/filters/{shared['id']}", headers=me.headers)).json()
    assert [k["keyword"] for k in whole["keywords"]] == ["second"]
