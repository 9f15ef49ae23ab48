"""Profiles: update_credentials, lookup, search, a profile's statuses, followers and following,
and follow suggestions; each with who may see what."""

from __future__ import annotations

import pytest

from shared.ids import new_id
from tests.helpers import Api, User, other_domain, unique
from tests.helpers.communities import share_community


async def outbox_count(api: Api, event_type: str) -> int:
    return await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE subject = $1", f"hubbub.evt.{event_type}")


async def get(api: Api, user: User | None, path: str, **query) -> object:
    r = await api.client.get(path, headers=user.headers if user else {}, params=query)
    return r


# --- update_credentials ---------------------------------------------------------------------------

async def test_update_credentials_json_changes_the_profile_everywhere(api: Api) -> None:
    me, reader = await api.user(), await api.user()
    # Read once first, so that a stale cached record would show if the cache were not refreshed.
    await api.client.get(f"/api/v1/accounts/{me.id}", headers=reader.headers)
    before = await outbox_count(api, "graph.account.updated")
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers, json={
        "display_name": " Ada L. ", "note": "Engines <b>&</b> numbers\nline two",
        "locked": True, "bot": True, "discoverable": False,
        "fields_attributes": [{"name": "Pronouns", "value": "she/her"},
                              {"name": "Site", "value": "https://ada.example/"},
                              {"name": "", "value": ""}],
        "avatar_url": "https://cdn.example/ada.png", "header_url": "http://cdn.example/h.png",
        "title": "Analyst", "department": "Engines",
        "source": {"privacy": "private", "sensitive": True, "language": "en"}})
    assert r.status_code == 200, r.text
    creds = r.json()
    assert creds["display_name"] == "Ada L."
    assert creds["note"] == "<p>Engines &lt;b&gt;&amp;&lt;/b&gt; numbers<br />line two</p>"
    assert (creds["locked"], creds["bot"], creds["discoverable"]) == (True, True, False)
    assert creds["avatar"] == creds["avatar_static"] == "https://cdn.example/ada.png"
    assert creds["header"] == "http://cdn.example/h.png"
    assert creds["fields"][0] == {"name": "Pronouns", "value": "she/her", "verified_at": None}
    assert creds["fields"][1]["value"].startswith('<a href="https://ada.example/"')
    assert len(creds["fields"]) == 2  # the blank row is dropped
    assert creds["hubbub"]["title"] == "Analyst" and creds["hubbub"]["department"] == "Engines"
    source = creds["source"]
    assert source["note"] == "Engines <b>&</b> numbers\nline two"
    assert source["fields"][1] == {"name": "Site", "value": "https://ada.example/",
                                   "verified_at": None}
    assert (source["privacy"], source["sensitive"], source["language"]) == ("private", True,
                                                                              "en")
    seen = (await api.client.get(f"/api/v1/accounts/{me.id}", headers=reader.headers)).json()
    assert seen["display_name"] == "Ada L." and seen["locked"] is True
    assert seen["hubbub"]["title"] == "Analyst" and "source" not in seen
    assert await outbox_count(api, "graph.account.updated") == before + 1


async def test_update_credentials_form_keeps_what_is_not_given(api: Api) -> None:
    me = await api.user()
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers, data={
        "display_name": "First", "fields_attributes[1][name]": "Second",
        "fields_attributes[1][value]": "b", "fields_attributes[0][name]": "First",
        "fields_attributes[0][value]": "a", "source[privacy]": "unlisted", "bot": "true"})
    assert r.status_code == 200, r.text
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                               data={"note": "only the note"})
    creds = r.json()
    assert creds["display_name"] == "First" and creds["bot"] is True
    assert [f["name"] for f in creds["fields"]] == ["First", "Second"]
    assert creds["source"]["privacy"] == "unlisted"
    assert creds["source"]["note"] == "only the note"


async def test_profile_pictures_can_be_removed(api: Api) -> None:
    me = await api.user()
    await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                           json={"avatar_url": "https://cdn.example/a.png",
                                 "header_url": "https://cdn.example/h.png"})
    r = await api.client.delete("/api/v1/profile/avatar", headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["avatar"].endswith("/avatars/original/missing.png")
    assert r.json()["header"] == "https://cdn.example/h.png"
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                               json={"header_url": ""})
    assert r.json()["header"].endswith("/headers/original/missing.png")


@pytest.mark.parametrize("body, problem", [
    ({"display_name": "x" * 31}, "display_name"),
    ({"note": "x" * 501}, "note"),
    ({"fields_attributes": [{"name": f"n{i}", "value": "v"} for i in range(5)]}, "fields"),
    ({"fields_attributes": [{"name": "n" * 256, "value": "v"}]}, "fields name"),
    ({"fields_attributes": [{"name": "n", "value": "v" * 256}]}, "fields value"),
    ({"fields_attributes": [{"name": "", "value": "orphan"}]}, "blank"),
    ({"fields_attributes": {"first": {"name": "n", "value": "v"}}}, "positions"),
    ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
    ({"header_url": "ftp://cdn.example/h.png"}, "header_url"),
    ({"avatar": "data:image/png;base64,AAAA"}, "avatar_url"),
    ({"title": "t" * 101}, "title"),
    ({"source": {"privacy": "direct"}}, "privacy"),
    ({"source": {"language": "english"}}, "language"),
    ({"locked": "perhaps"}, "locked"),
])
async def test_update_credentials_rejects_bad_input_and_writes_nothing(
        api: Api, body: dict, problem: str) -> None:
    me = await api.user()
    pool = api.stack.graph.pool
    query = "SELECT to_jsonb(a) - 'password_hash' FROM accounts a WHERE id = $1"
    row_before = await pool.fetchval(query, int(me.id))
    outbox_before = await pool.fetchval("SELECT count(*) FROM outbox")
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                               json=body)
    assert r.status_code == 422, r.text
    assert problem in r.json()["error"]
    assert await pool.fetchval(query, int(me.id)) == row_before
    assert await pool.fetchval("SELECT count(*) FROM outbox") == outbox_before


async def test_an_avatar_upload_that_is_no_picture_is_refused_clearly(api: Api) -> None:
    me = await api.user()
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                               files={"avatar": ("a.png", b"\x89PNG", "image/png")})
    assert r.status_code == 422, r.text
    assert "picture" in r.json()["error"]


async def test_update_credentials_needs_a_user_with_write_scope(api: Api) -> None:
    r = await api.client.patch("/api/v1/accounts/update_credentials", json={"note": "x"})
    assert r.status_code == 401
    me = await api.user(domain=other_domain())  # its network's admin
    await api.allow_password_grant(me)
    app = await api.app()
    token = (await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": me.email, "password": me.password,
        "scope": "read"})).json()["access_token"]
    r = await api.client.patch("/api/v1/accounts/update_credentials", json={"note": "x"},
                               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403


# --- lookup and search ----------------------------------------------------------------------------

async def test_lookup_by_username_or_acct_within_what_the_reader_may_see(api: Api) -> None:
    domain = other_domain()
    alice, bob = await api.user(domain=domain), await api.user(domain=domain)
    outsider = await api.user(domain=other_domain())
    for acct in (bob.username, bob.username.upper(), f"@{bob.username}",
                 f"{bob.username}@{domain}"):
        r = await get(api, alice, "/api/v1/accounts/lookup", acct=acct)
        assert r.status_code == 200, (acct, r.text)
        assert r.json()["id"] == bob.id
    for acct in (f"{bob.username}@elsewhere.test", "nobody_here_at_all", "bad name!", ""):
        r = await get(api, alice, "/api/v1/accounts/lookup", acct=acct)
        assert r.status_code == 404, acct
    # Another network's account is not there for the outsider, until they share a community.
    r = await get(api, outsider, "/api/v1/accounts/lookup", acct=bob.username)
    assert r.status_code == 404
    await share_community(api, bob, outsider)
    r = await get(api, outsider, "/api/v1/accounts/lookup", acct=bob.username)
    assert r.status_code == 200 and r.json()["id"] == bob.id
    assert (await get(api, None, "/api/v1/accounts/lookup", acct=bob.username)).status_code == 401
    assert (await get(api, alice, "/api/v1/accounts/lookup")).status_code == 422


async def test_search_by_prefix_of_username_or_display_name(api: Api) -> None:
    domain = other_domain()
    stem = unique("s")
    me = await api.user(domain=domain)
    exact = await api.user(name=stem, domain=domain)
    longer = await api.user(name=f"{stem}x", domain=domain)
    named = await api.user(domain=domain)
    await api.client.patch("/api/v1/accounts/update_credentials", headers=named.headers,
                           json={"display_name": f"{stem.upper()} Person"})
    elsewhere = await api.user(name=f"{stem}y", domain=other_domain())
    r = await get(api, me, "/api/v1/accounts/search", q=stem.upper())
    assert r.status_code == 200, r.text
    ids = [a["id"] for a in r.json()]
    assert ids[0] == exact.id  # the exact username first
    assert set(ids) == {exact.id, longer.id, named.id}
    assert elsewhere.id not in ids
    r = await get(api, me, "/api/v1/accounts/search", q=f"@{stem}@{domain}", limit=1)
    assert [a["id"] for a in r.json()] == [exact.id]
    await api.follow(me, longer)
    r = await get(api, me, "/api/v1/accounts/search", q=stem, following="true")
    assert [a["id"] for a in r.json()] == [longer.id]
    await api.stack.graph.pool.execute(
        "INSERT INTO blocks (id, account_id, target_id) VALUES ($1, $2, $3)",
        new_id(), int(named.id), int(me.id))
    r = await get(api, me, "/api/v1/accounts/search", q=stem)
    assert named.id not in [a["id"] for a in r.json()]  # blocked either way: not found
    # LIKE's wildcards are literal characters here, and blank queries find nobody.
    for q in ("%", "_", "   ", "@"):
        r = await get(api, me, "/api/v1/accounts/search", q=q)
        assert r.status_code == 200 and r.json() == [], q
    assert (await get(api, me, "/api/v1/accounts/search")).status_code == 422


async def test_a_guest_finds_only_the_people_of_its_communities(api: Api) -> None:
    host_domain, stem = other_domain(), unique("g")
    host = await api.user(name=f"{stem}host", domain=host_domain)
    colleague = await api.user(name=f"{stem}colleague", domain=host_domain)
    guest = await api.user(name=f"{stem}guest", domain=other_domain())
    await share_community(api, host, guest)
    r = await get(api, guest, "/api/v1/accounts/search", q=stem)
    assert {a["id"] for a in r.json()} == {host.id, guest.id}
    assert colleague.id not in {a["id"] for a in r.json()}


# --- a profile's statuses -------------------------------------------------------------------------

async def test_account_statuses_with_filters_and_visibility(api: Api) -> None:
    domain = other_domain()
    author, follower, stranger = (await api.user(domain=domain), await api.user(domain=domain),
                                  await api.user(domain=domain))
    outsider = await api.user(domain=other_domain())
    await api.follow(follower, author)
    first = await api.post(author, "first #Launch")
    private = await api.post(author, "for followers", visibility="private")
    other = await api.post(stranger, "someone else")
    reply_other = await api.post(author, "a reply", in_reply_to_id=other["id"])
    reply_self = await api.post(author, "my thread", in_reply_to_id=first["id"])
    await api.post(author, f"@{follower.username} secret", visibility="direct")
    r = await api.client.post(f"/api/v1/statuses/{other['id']}/reblog", headers=author.headers)
    assert r.status_code == 200, r.text
    reblog = r.json()
    r = await api.client.post(f"/api/v1/statuses/{first['id']}/pin", headers=author.headers)
    assert r.status_code == 200, r.text
    path = f"/api/v1/accounts/{author.id}/statuses"

    async def ids(user: User | None, **query) -> list[str]:
        r = await get(api, user, path, **query)
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()]

    everything = [reblog["id"], reply_self["id"], reply_other["id"], private["id"], first["id"]]
    assert await ids(follower) == everything  # the direct message is never on a profile
    assert await ids(author) == everything
    assert private["id"] not in await ids(stranger)
    # Another network's account (no community shared) is not there at all, as for anonymous
    # readers: 404 as for an unknown id (tests/security/test_leaks.py).
    assert (await get(api, outsider, path)).status_code == 404
    assert (await get(api, None, path)).status_code == 404
    assert await ids(follower, exclude_replies="true") == [reblog["id"], reply_self["id"],
                                                           private["id"], first["id"]]
    assert await ids(follower, exclude_reblogs="true") == everything[1:]
    assert await ids(follower, pinned="true") == [first["id"]]
    assert await ids(follower, tagged="launch") == [first["id"]]
    assert await ids(follower, only_media="true") == []
    # Pages: limit, Link next by max_id, min_id for newer.
    r = await get(api, follower, path, limit=2)
    assert [s["id"] for s in r.json()] == everything[:2]
    assert 'rel="next"' in r.headers["link"] and f"max_id={everything[1]}" in r.headers["link"]
    assert await ids(follower, max_id=everything[1], limit=2) == everything[2:4]
    assert await ids(follower, min_id=everything[3], limit=2) == everything[1:3]
    assert await ids(follower, since_id=everything[2]) == everything[:2]
    rendered = (await get(api, follower, path)).json()
    assert rendered[0]["reblog"]["id"] == other["id"]
    assert (await get(api, follower, "/api/v1/accounts/123/statuses")).status_code == 404
    assert (await get(api, follower, "/api/v1/accounts/nope/statuses")).status_code == 404


# --- followers and following ----------------------------------------------------------------------

async def test_followers_and_following_pages_with_link(api: Api) -> None:
    domain = other_domain()
    star = await api.user(domain=domain)
    fans = [await api.user(domain=domain) for _ in range(3)]
    for fan in fans:
        await api.follow(fan, star)
    newest_first = [f.id for f in reversed(fans)]
    r = await get(api, fans[0], f"/api/v1/accounts/{star.id}/followers", limit=2)
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()] == newest_first[:2]
    link = r.headers["link"]
    assert f"max_id={newest_first[1]}" in link and f"min_id={newest_first[0]}" in link
    r = await get(api, fans[0], f"/api/v1/accounts/{star.id}/followers", limit=2,
                  max_id=newest_first[1])
    assert [a["id"] for a in r.json()] == newest_first[2:]
    r = await get(api, fans[0], f"/api/v1/accounts/{star.id}/followers", limit=1,
                  min_id=newest_first[2])
    assert [a["id"] for a in r.json()] == [newest_first[1]]
    r = await get(api, star, f"/api/v1/accounts/{fans[1].id}/following")
    assert [a["id"] for a in r.json()] == [star.id]
    r = await get(api, star, f"/api/v1/accounts/{fans[1].id}/followers")
    assert r.json() == [] and "link" not in r.headers


async def test_follower_lists_stay_inside_what_the_reader_may_see(api: Api) -> None:
    host_domain = other_domain()
    host, colleague = await api.user(domain=host_domain), await api.user(domain=host_domain)
    guest, outsider = await api.user(domain=other_domain()), await api.user(domain=other_domain())
    await api.follow(colleague, host)
    # A guest can follow only whom it can see: the people of its communities.
    r = await api.client.post(f"/api/v1/accounts/{host.id}/follow", headers=guest.headers)
    assert r.status_code == 404
    await share_community(api, host, guest)
    await api.follow(guest, host)
    path = f"/api/v1/accounts/{host.id}/followers"
    assert (await get(api, outsider, path)).status_code == 404
    assert (await get(api, outsider, f"/api/v1/accounts/{host.id}/following")).status_code == 404
    r = await get(api, guest, path)
    assert r.status_code == 200
    assert [a["id"] for a in r.json()] == [guest.id]  # not the host's colleague
    # And the other way round: the colleague is in no community with the guest.
    r = await get(api, colleague, path)
    assert [a["id"] for a in r.json()] == [colleague.id]
    assert (await get(api, colleague, "/api/v1/accounts/42/followers")).status_code == 404
    assert (await get(api, None, path)).status_code == 401


# --- suggestions ----------------------------------------------------------------------------------

async def test_suggestions_are_friends_of_friends(api: Api) -> None:
    domain = other_domain()
    me, b, c, d, e, blocked = [await api.user(domain=domain) for _ in range(6)]
    far = await api.user(domain=other_domain())  # followed by both b and c, another network
    hidden = await api.user(domain=other_domain())  # shares no community with me
    await share_community(api, me, far)
    # b and c may follow the outsiders only because they share communities with them.
    await share_community(api, b, far, hidden)
    await share_community(api, c, far, hidden)
    for follower, followee in ((me, b), (me, c), (b, d), (c, d), (b, e), (b, me), (b, c),
                               (b, far), (c, far), (b, hidden), (c, hidden), (b, blocked)):
        await api.follow(follower, followee)
    await api.stack.graph.pool.execute(
        "INSERT INTO blocks (id, account_id, target_id) VALUES ($1, $2, $3)",
        new_id(), int(blocked.id), int(me.id))
    r = await get(api, me, "/api/v2/suggestions")
    assert r.status_code == 200, r.text
    body = r.json()
    # Same network first, then by how many of my followees follow them.
    assert [s["account"]["id"] for s in body] == [d.id, e.id, far.id]
    assert body[0]["source"] == "friends_of_friends"
    assert body[0]["sources"] == ["friends_of_friends"]
    r = await get(api, me, "/api/v2/suggestions", limit=1)
    assert [s["account"]["id"] for s in r.json()] == [d.id]
    r = await get(api, me, "/api/v1/suggestions")
    assert [a["id"] for a in r.json()] == [d.id, e.id, far.id]
    await api.follow(me, d)
    r = await get(api, me, "/api/v2/suggestions")
    assert d.id not in [s["account"]["id"] for s in r.json()]
    assert (await get(api, None, "/api/v2/suggestions")).status_code == 401


async def test_default_privacy_applies_to_new_posts_and_shows_in_source(api: Api) -> None:
    me = await api.user()
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                               json={"source": {"privacy": "private"}})
    assert r.status_code == 200, r.text
    creds = (await api.client.get("/api/v1/accounts/verify_credentials",
                                  headers=me.headers)).json()
    assert creds["source"]["privacy"] == "private"
    assert (await api.post(me, "no visibility given"))["visibility"] == "private"
    assert (await api.post(me, "explicit", visibility="public"))["visibility"] == "public"
