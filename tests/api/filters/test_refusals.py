"""What the filters API refuses: no token (401), a token without the filters' scopes (403),
another account's filter, keyword, status or v1 filter (404, as for none), and bad input (422
naming the field, nothing written), including the caps: 100 filters, 1,000 keywords a filter,
512 characters a keyword, an expiry within ten years."""

from __future__ import annotations

from tests.helpers import Api
from tests.helpers.filters import make_filter, member_with_password_grant, token_with

BASE = "/api/v2/filters"
OUTSIDE = {"error": "This action is outside the authorized scopes"}


async def test_no_token_is_401_and_the_wrong_scope_403(api: Api) -> None:
    me = await member_with_password_grant(api)
    made = await make_filter(api, me, "Mine", ["word"])
    c = api.client
    reads = [f"{BASE}", f"{BASE}/{made['id']}", f"{BASE}/{made['id']}/keywords",
             f"{BASE}/{made['id']}/statuses", "/api/v1/filters"]
    for path in reads:
        assert (await c.get(path)).status_code == 401, path
    assert (await c.post(BASE, json={"title": "x", "context": ["home"]})).status_code == 401

    statuses_only = await token_with(api, me, "read:statuses")
    write_only = await token_with(api, me, "write:filters")
    read_only = await token_with(api, me, "read:filters")
    for path in reads:
        r = await c.get(path, headers=statuses_only)
        assert r.status_code == 403 and r.json() == OUTSIDE, path
        r = await c.get(path, headers=write_only)
        assert r.status_code == 403, path
        assert (await c.get(path, headers=read_only)).status_code == 200, path
    for method, path in (("POST", BASE), ("PUT", f"{BASE}/{made['id']}"),
                         ("DELETE", f"{BASE}/{made['id']}"),
                         ("POST", f"{BASE}/{made['id']}/keywords"), ("POST", "/api/v1/filters")):
        r = await c.request(method, path, headers=read_only,
                            json={"title": "x", "context": ["home"], "keyword": "y",
                                  "phrase": "z"})
        assert r.status_code == 403 and r.json() == OUTSIDE, (method, path)
    r = await c.post(BASE, headers=write_only, json={"title": "Written", "context": ["home"]})
    assert r.status_code == 200, r.text
    # The parent scopes grant them.
    for scope in ("read", "write"):
        headers = await token_with(api, me, scope)
        method = "GET" if scope == "read" else "POST"
        r = await c.request(method, BASE, headers=headers,
                            json={"title": "Parent", "context": ["home"]})
        assert r.status_code == 200, (scope, r.text)


async def test_another_accounts_filters_are_404(api: Api) -> None:
    me, other = await api.user(), await api.user()
    post = await api.post(other, "a post")
    theirs = await make_filter(api, other, "Theirs", ["secret"])
    r = await api.client.post(f"{BASE}/{theirs['id']}/statuses", headers=other.headers,
                              json={"status_id": post["id"]})
    status_rule = r.json()
    keyword = theirs["keywords"][0]
    c = api.client
    for method, path, body in (
            ("GET", f"{BASE}/{theirs['id']}", None),
            ("PUT", f"{BASE}/{theirs['id']}", {"title": "Mine now"}),
            ("DELETE", f"{BASE}/{theirs['id']}", None),
            ("GET", f"{BASE}/{theirs['id']}/keywords", None),
            ("POST", f"{BASE}/{theirs['id']}/keywords", {"keyword": "more"}),
            ("GET", f"{BASE}/keywords/{keyword['id']}", None),
            ("PUT", f"{BASE}/keywords/{keyword['id']}", {"keyword": "changed"}),
            ("DELETE", f"{BASE}/keywords/{keyword['id']}", None),
            ("GET", f"{BASE}/{theirs['id']}/statuses", None),
            ("POST", f"{BASE}/{theirs['id']}/statuses", {"status_id": post["id"]}),
            ("GET", f"{BASE}/statuses/{status_rule['id']}", None),
            ("DELETE", f"{BASE}/statuses/{status_rule['id']}", None),
            ("GET", f"/api/v1/filters/{keyword['id']}", None),
            ("PUT", f"/api/v1/filters/{keyword['id']}", {"phrase": "changed"}),
            ("DELETE", f"/api/v1/filters/{keyword['id']}", None),
            ("GET", f"{BASE}/99999", None), ("GET", f"{BASE}/not-an-id", None)):
        r = await c.request(method, path, headers=me.headers, json=body)
        assert r.status_code == 404, (method, path, r.text)
    # My own filter cannot take their keyword either.
    mine = await make_filter(api, me, "Mine", ["own"])
    r = await c.put(f"{BASE}/{mine['id']}", headers=me.headers, json={
        "keywords_attributes": [{"id": keyword["id"], "_destroy": True}]})
    assert r.status_code == 404, r.text
    # Nothing of theirs changed.
    still = (await c.get(f"{BASE}/{theirs['id']}", headers=other.headers)).json()
    assert still == {**theirs, "statuses": [status_rule]}


async def _refused(api: Api, me, method: str, path: str, body: dict, field: str) -> None:
    r = await api.client.request(method, path, headers=me.headers, json=body)
    assert r.status_code == 422, (body, r.text)
    assert field in r.json()["details"], (body, r.json())


async def test_bad_input_is_422_naming_the_field(api: Api) -> None:
    me = await api.user()
    good = {"title": "Good", "context": ["home"]}
    for body, field in (
            ({"context": ["home"]}, "title"),
            ({"title": "   ", "context": ["home"]}, "title"),
            ({"title": "x" * 257, "context": ["home"]}, "title"),
            ({"title": "No context"}, "context"),
            ({"title": "Bad", "context": ["home", "everywhere"]}, "context"),
            ({**good, "filter_action": "delete"}, "filter_action"),
            ({**good, "expires_in": -1}, "expires_in"),
            ({**good, "expires_in": 11 * 365 * 24 * 3600}, "expires_in"),
            ({**good, "expires_in": "soon"}, "expires_in"),
            ({**good, "keywords_attributes": [{"keyword": "k" * 513}]}, "keywords_attributes"),
            ({**good, "keywords_attributes": [{"keyword": ""}]}, "keywords_attributes"),
            ({**good, "keywords_attributes": {"first": {"keyword": "a"}}},
             "keywords_attributes")):
        await _refused(api, me, "POST", BASE, body, field)
    made = await make_filter(api, me, "Kept", ["a"])
    await _refused(api, me, "PUT", f"{BASE}/{made['id']}", {"context": ["nowhere"]}, "context")
    await _refused(api, me, "PUT", f"{BASE}/{made['id']}", {"title": ""}, "title")
    await _refused(api, me, "POST", f"{BASE}/{made['id']}/keywords", {"keyword": " "},
                   "keyword")
    await _refused(api, me, "PUT", f"{BASE}/keywords/{made['keywords'][0]['id']}",
                   {"keyword": "z" * 600}, "keyword")
    await _refused(api, me, "POST", "/api/v1/filters", {"context": ["home"]}, "phrase")
    await _refused(api, me, "POST", "/api/v1/filters", {"phrase": "p", "context": ["x"]},
                   "context")
    # Nothing was written by any of them.
    listed = (await api.client.get(BASE, headers=me.headers)).json()
    assert [(f["title"], [k["keyword"] for k in f["keywords"]]) for f in listed] == [
        ("Kept", ["a"])]


async def test_ten_thousand_keywords_are_refused_and_nothing_is_written(api: Api) -> None:
    me = await api.user()
    many = [{"keyword": f"word{i}"} for i in range(10_000)]
    r = await api.client.post(BASE, headers=me.headers, json={
        "title": "Too many", "context": ["home"], "keywords_attributes": many})
    assert r.status_code == 422, r.text
    assert "at most 1000 keywords" in r.json()["error"]
    assert "keywords_attributes" in r.json()["details"]
    assert (await api.client.get(BASE, headers=me.headers)).json() == []
    # 1,000 fit; one more, added later or on update, does not.
    made = await make_filter(api, me, "Full", [f"w{i}" for i in range(1_000)])
    assert len(made["keywords"]) == 1_000
    r = await api.client.post(f"{BASE}/{made['id']}/keywords", headers=me.headers,
                              json={"keyword": "one more"})
    assert r.status_code == 422, r.text
    r = await api.client.put(f"{BASE}/{made['id']}", headers=me.headers,
                             json={"keywords_attributes": [{"keyword": "one more"}]})
    assert r.status_code == 422, r.text
    whole = (await api.client.get(f"{BASE}/{made['id']}", headers=me.headers)).json()
    assert len(whole["keywords"]) == 1_000


async def test_at_most_a_hundred_filters(api: Api) -> None:
    me = await api.user()
    for i in range(100):
        r = await api.client.post(BASE, headers=me.headers,
                                  json={"title": f"F{i}", "context": ["home"]})
        assert r.status_code == 200, r.text
    r = await api.client.post(BASE, headers=me.headers,
                              json={"title": "One too many", "context": ["home"]})
    assert r.status_code == 422 and "at most 100 filters" in r.json()["error"]
    r = await api.client.post("/api/v1/filters", headers=me.headers,
                              json={"phrase": "One too many", "context": ["home"]})
    assert r.status_code == 422
    assert len((await api.client.get(BASE, headers=me.headers)).json()) == 100


async def test_keywords_together_stay_within_their_budget(api: Api) -> None:
    """An account's keywords hold at most 100,000 characters in all (its filters are cached
    whole for every gateway)."""
    me = await api.user()
    for n in range(2):
        await make_filter(api, me, f"Long {n}", [f"{n}{i:03d}" + "x" * 496 for i in range(100)])
    r = await api.client.post(BASE, headers=me.headers, json={
        "title": "Over", "context": ["home"], "keywords_attributes": [{"keyword": "more"}]})
    assert r.status_code == 422 and "100000 characters" in r.json()["error"], r.text
    r = await api.client.post("/api/v1/filters", headers=me.headers,
                              json={"phrase": "more", "context": ["home"]})
    assert r.status_code == 422, r.text
    assert len((await api.client.get(BASE, headers=me.headers)).json()) == 2
