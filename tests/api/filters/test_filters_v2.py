"""Mastodon's v2 filters: the filters, their keywords and their statuses, by JSON and by form
(``keywords_attributes`` as a list, or keyed by position), in Mastodon's shapes."""

from __future__ import annotations

import datetime as dt

from tests.helpers import Api
from tests.helpers.filters import make_filter

BASE = "/api/v2/filters"


def _expires_in(shown: str) -> float:
    moment = dt.datetime.fromisoformat(shown.replace("Z", "+00:00"))
    return (moment - dt.datetime.now(dt.UTC)).total_seconds()


async def test_a_filter_made_read_changed_and_deleted_by_json(api: Api) -> None:
    me = await api.user()
    c = api.client
    r = await c.post(BASE, headers=me.headers, json={
        "title": "Spoilers", "context": ["home", "public"], "filter_action": "warn",
        "expires_in": 3600, "return_detailed_error": True,  # unknown: ignored
        "keywords_attributes": [{"keyword": "finale", "whole_word": True},
                                {"keyword": "Season 3", "whole_word": False}]})
    assert r.status_code == 200, r.text
    made = r.json()
    assert made["title"] == "Spoilers" and made["context"] == ["home", "public"]
    assert made["filter_action"] == "warn"
    assert 3500 < _expires_in(made["expires_at"]) <= 3600
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [
        ("finale", True), ("Season 3", False)]
    assert made["statuses"] == []
    assert all(isinstance(k["id"], str) for k in made["keywords"])

    listed = (await c.get(BASE, headers=me.headers)).json()
    assert [f["id"] for f in listed] == [made["id"]]
    assert (await c.get(f"{BASE}/{made['id']}", headers=me.headers)).json() == made

    finale, season = made["keywords"]
    r = await c.put(f"{BASE}/{made['id']}", headers=me.headers, json={
        "title": "TV", "context": ["thread"], "filter_action": "blur", "expires_in": "",
        "keywords_attributes": [
            {"id": finale["id"], "keyword": "last episode"},
            {"id": season["id"], "_destroy": True},
            {"keyword": "cliffhanger"}]})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["title"], changed["context"], changed["filter_action"]) == (
        "TV", ["thread"], "blur")
    assert changed["expires_at"] is None  # empty: never
    assert [(k["id"] == finale["id"], k["keyword"], k["whole_word"])
            for k in changed["keywords"]] == [(True, "last episode", True),
                                              (False, "cliffhanger", True)]
    # What an update does not name stays as it was.
    r = await c.put(f"{BASE}/{made['id']}", headers=me.headers, json={"title": "Shows"})
    assert r.json()["context"] == ["thread"] and len(r.json()["keywords"]) == 2

    r = await c.delete(f"{BASE}/{made['id']}", headers=me.headers)
    assert r.status_code == 200 and r.json() == {}
    assert (await c.get(f"{BASE}/{made['id']}", headers=me.headers)).status_code == 404
    assert (await c.get(BASE, headers=me.headers)).json() == []


async def test_forms_send_keywords_as_a_list_or_by_position(api: Api) -> None:
    me = await api.user()
    c = api.client
    form = {**me.headers, "Content-Type": "application/x-www-form-urlencoded"}
    # Pairs in the order a browser's form sends them: a key the last keyword already has
    # starts the next one (as Rack reads ``name[][key]``).
    body = ("title=Listed&context[]=home&context[]=notifications"
            "&keywords_attributes[][keyword]=alpha&keywords_attributes[][whole_word]=false"
            "&keywords_attributes[][keyword]=beta&keywords_attributes[][whole_word]=true")
    r = await c.post(BASE, headers=form, content=body)
    assert r.status_code == 200, r.text
    listed = r.json()
    assert listed["context"] == ["home", "notifications"]
    assert [(k["keyword"], k["whole_word"]) for k in listed["keywords"]] == [
        ("alpha", False), ("beta", True)]

    body = ("title=Positions&context[]=public&filter_action=hide&expires_in=60"
            "&keywords_attributes[1][keyword]=second&keywords_attributes[0][keyword]=first"
            "&keywords_attributes[0][whole_word]=0")
    r = await c.post(BASE, headers=form, content=body)
    assert r.status_code == 200, r.text
    by_position = r.json()
    assert by_position["filter_action"] == "hide"
    assert [(k["keyword"], k["whole_word"]) for k in by_position["keywords"]] == [
        ("first", False), ("second", True)]

    # An update by form: change one keyword, destroy the other.
    first, second = by_position["keywords"]
    body = (f"keywords_attributes[0][id]={first['id']}&keywords_attributes[0][keyword]=uno"
            f"&keywords_attributes[1][id]={second['id']}&keywords_attributes[1][_destroy]=1")
    r = await c.put(f"{BASE}/{by_position['id']}", headers=form, content=body)
    assert r.status_code == 200, r.text
    assert [k["keyword"] for k in r.json()["keywords"]] == ["uno"]


async def test_keywords_one_by_one(api: Api) -> None:
    me = await api.user()
    c = api.client
    made = await make_filter(api, me, "Words", ["one"])
    r = await c.post(f"{BASE}/{made['id']}/keywords", headers=me.headers,
                     json={"keyword": "two", "whole_word": False})
    assert r.status_code == 200, r.text
    two = r.json()
    assert (two["keyword"], two["whole_word"]) == ("two", False)
    r = await c.post(f"{BASE}/{made['id']}/keywords", headers=me.headers,
                     data={"keyword": "three"})
    assert r.status_code == 200 and r.json()["whole_word"] is True
    listed = (await c.get(f"{BASE}/{made['id']}/keywords", headers=me.headers)).json()
    assert [k["keyword"] for k in listed] == ["one", "two", "three"]

    assert (await c.get(f"{BASE}/keywords/{two['id']}", headers=me.headers)).json() == two
    r = await c.put(f"{BASE}/keywords/{two['id']}", headers=me.headers,
                    json={"keyword": "deux", "whole_word": True})
    assert r.status_code == 200 and (r.json()["keyword"], r.json()["whole_word"]) == (
        "deux", True)
    r = await c.delete(f"{BASE}/keywords/{two['id']}", headers=me.headers)
    assert r.status_code == 200 and r.json() == {}
    assert (await c.get(f"{BASE}/keywords/{two['id']}", headers=me.headers)).status_code == 404
    whole = (await c.get(f"{BASE}/{made['id']}", headers=me.headers)).json()
    assert [k["keyword"] for k in whole["keywords"]] == ["one", "three"]


async def test_statuses_one_by_one(api: Api) -> None:
    me, author = await api.user(), await api.user()
    c = api.client
    post = await api.post(author, "filter me by id")
    made = await make_filter(api, me, "By id")
    r = await c.post(f"{BASE}/{made['id']}/statuses", headers=me.headers,
                     json={"status_id": post["id"]})
    assert r.status_code == 200, r.text
    added = r.json()
    assert added["status_id"] == post["id"] and isinstance(added["id"], str)
    # The same status twice: 422, Mastodon's uniqueness.
    r = await c.post(f"{BASE}/{made['id']}/statuses", headers=me.headers,
                     data={"status_id": post["id"]})
    assert r.status_code == 422 and "status_id" in r.json()["details"]
    listed = (await c.get(f"{BASE}/{made['id']}/statuses", headers=me.headers)).json()
    assert listed == [added]
    assert (await c.get(f"{BASE}/statuses/{added['id']}", headers=me.headers)).json() == added
    whole = (await c.get(f"{BASE}/{made['id']}", headers=me.headers)).json()
    assert whole["statuses"] == [added]
    r = await c.delete(f"{BASE}/statuses/{added['id']}", headers=me.headers)
    assert r.status_code == 200 and r.json() == {}
    assert (await c.get(f"{BASE}/statuses/{added['id']}", headers=me.headers)).status_code == 404


async def test_a_status_the_owner_may_not_see_cannot_be_filtered(api: Api) -> None:
    me, author, friend = await api.user(), await api.user(), await api.user()
    secret = await api.post(author, f"@{friend.username} between us", visibility="direct")
    made = await make_filter(api, me, "Nosy")
    for status_id in (secret["id"], "12345", "not-an-id"):
        r = await api.client.post(f"{BASE}/{made['id']}/statuses", headers=me.headers,
                                  json={"status_id": status_id})
        assert r.status_code == 404, (status_id, r.text)
