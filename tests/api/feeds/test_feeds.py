"""Public feeds (Atom, RSS, JSON Feed): off until opted in, only what the world may read, in
every format, and cheap to poll."""

from __future__ import annotations

import email.utils

from tests.helpers import Api, unique
from tests.helpers.communities import create, invite, join, other_network
from tests.helpers.feeds import FORMATS, entries, feed_ids, fetch, switch, switch_community, urls
from tests.helpers.moderation import ADMIN_ACCOUNTS, team


async def test_an_account_feed_is_off_until_its_owner_opts_in(api: Api) -> None:
    author = await api.user()
    post = await api.post(author, "hello, readers")
    await api.idle()
    for fmt in FORMATS:
        assert (await fetch(api, f"/@{author.username}", fmt)).status_code == 404
    # As for an account that does not exist: a closed feed tells nothing.
    assert (await fetch(api, f"/@{unique('nobody')}", "atom")).status_code == 404
    r = await api.client.get("/api/hubbub/v1/feeds/settings", headers=author.headers)
    assert r.json() == {"public_feed": False, "feeds": None}
    answer = await switch(api, author)
    base = api.stack.base_url
    assert answer["public_feed"] is True
    assert answer["feeds"] == {fmt: f"{base}/@{author.username}.{fmt}" for fmt in FORMATS}
    assert await feed_ids(api, f"/@{author.username}") == {fmt: urls(post) for fmt in FORMATS}


async def test_only_public_posts_of_opted_in_scopes_reach_the_feeds(api: Api) -> None:
    author, colleague, shy = await api.user(), await api.user(), await api.user()
    tag = unique("feedtag")
    internal = await create(api, author)
    opted = await create(api, author, external=True)
    closed = await create(api, author, external=True)
    for community in (internal, opted, closed):
        await join(api, colleague, community)
    await api.follow(colleague, author)
    public = await api.post(author, f"public #{tag}")
    unlisted = await api.post(author, f"unlisted #{tag}", visibility="unlisted")
    private = await api.post(author, f"private #{tag}", visibility="private")
    direct = await api.post(author, f"@{colleague.username} direct #{tag}", visibility="direct")
    in_internal = await api.post(author, f"internal #{tag}", community_id=internal["id"])
    in_opted = await api.post(colleague, f"out there #{tag}", community_id=opted["id"])
    opted_private = await api.post(author, f"members' followers #{tag}",
                                   community_id=opted["id"], visibility="private")
    opted_unlisted = await api.post(author, f"members #{tag}", community_id=opted["id"],
                                    visibility="unlisted")
    in_closed = await api.post(author, f"closed #{tag}", community_id=closed["id"])
    not_opted = await api.post(shy, f"shy #{tag}")
    await api.idle()
    await switch(api, author)
    r = await switch_community(api, author, opted["id"])
    assert r.status_code == 200, r.text
    assert r.json()["public_feed"] is True

    everything = urls(public, unlisted, private, direct, in_internal, in_opted, opted_private,
                      opted_unlisted, in_closed, not_opted)
    expected = {
        f"/@{author.username}": urls(public),
        f"/communities/{opted['id']}": urls(in_opted),
        f"/tags/{tag}": urls(public, in_opted),
    }
    for path, shown in expected.items():
        for fmt, found in (await feed_ids(api, path)).items():
            assert found & everything == shown, (path, fmt)
    for path in (f"/@{shy.username}", f"/communities/{closed['id']}",
                 f"/communities/{internal['id']}", "/communities/12345"):
        for fmt in FORMATS:
            assert (await fetch(api, path, fmt)).status_code == 404, (path, fmt)


async def test_a_guests_posts_travel_only_with_an_opted_in_scope(api: Api) -> None:
    owner = await api.user()
    guest = await api.user(domain=other_network())
    tag = unique("guesttag")
    opted = await create(api, owner, external=True)
    closed = await create(api, owner, external=True)
    for community in (opted, closed):
        r = await invite(api, owner, community, guest)
        assert r.status_code == 200, r.text
        await join(api, guest, community)
    shown = await api.post(guest, f"hello partners #{tag}", community_id=opted["id"])
    hidden = await api.post(guest, f"members only #{tag}", community_id=closed["id"])
    at_home = await api.post(guest, f"my own network #{tag}")
    await api.idle()
    assert (await switch_community(api, owner, opted["id"])).status_code == 200
    for found in (await feed_ids(api, f"/tags/{tag}")).values():
        assert found == urls(shown)
    for found in (await feed_ids(api, f"/communities/{opted['id']}")).values():
        assert found == urls(shown)
    assert hidden["url"] not in found and at_home["url"] not in found


async def test_a_script_in_a_post_never_reaches_a_feed_as_markup(api: Api) -> None:
    author = await api.user()
    post = await api.post(author, '<script>alert("x")</script> <img src=x onerror=alert(1)>')
    await api.idle()
    await switch(api, author)
    for fmt in FORMATS:
        r = await fetch(api, f"/@{author.username}", fmt)
        assert b"<script" not in r.content and b"<img" not in r.content
        content = entries(r, fmt)[post["url"]]
        assert content == post["content"]  # the API's own sanitized HTML, as text
        assert "<script" not in content and "<img" not in content


async def test_readers_poll_with_validators(api: Api) -> None:
    author = await api.user()
    await api.post(author, "first")
    await api.idle()
    await switch(api, author)
    path = f"/@{author.username}"
    for fmt in FORMATS:
        r = await fetch(api, path, fmt)
        etag, modified = r.headers["etag"], r.headers["last-modified"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert r.headers["cache-control"] == "public, max-age=60"
        assert email.utils.parsedate_to_datetime(modified) is not None
        again = await fetch(api, path, fmt, **{"If-None-Match": etag})
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["etag"] == etag
        assert (await fetch(api, path, fmt, **{"If-Modified-Since": modified})
                ).status_code == 304
        assert (await fetch(api, path, fmt, **{"If-None-Match": '"other"'})).status_code == 200
        assert (await fetch(api, path, fmt, **{
            "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})).status_code == 200


async def test_opting_out_closes_the_feed_at_once(api: Api) -> None:
    author = await api.user()
    tag = unique("gone")
    post = await api.post(author, f"for now #{tag}")
    await api.idle()
    await switch(api, author)
    assert post["url"] in entries(await fetch(api, f"/@{author.username}", "rss"), "rss")
    assert post["url"] in entries(await fetch(api, f"/tags/{tag}", "rss"), "rss")
    assert (await switch(api, author, on=False)) == {"public_feed": False, "feeds": None}
    for fmt in FORMATS:
        assert (await fetch(api, f"/@{author.username}", fmt)).status_code == 404
        assert post["url"] not in entries(await fetch(api, f"/tags/{tag}", fmt), fmt)


async def test_deleted_posts_and_suspended_authors_leave_no_trace(api: Api) -> None:
    owner, (member,) = await team(api, "member")
    tag = unique("mod")
    kept = await api.post(owner, f"stays #{tag}")
    gone = await api.post(owner, f"deleted #{tag}")
    by_member = await api.post(member, f"soon suspended #{tag}")
    r = await api.client.delete(f"/api/v1/statuses/{gone['id']}", headers=owner.headers)
    assert r.status_code == 200
    await api.idle()
    await switch(api, owner)
    await switch(api, member)
    for fmt, found in (await feed_ids(api, f"/tags/{tag}")).items():
        assert found == urls(kept, by_member), fmt
    r = await api.client.post(f"{ADMIN_ACCOUNTS}/{member.id}/action", headers=owner.headers,
                              json={"type": "suspend"})
    assert r.status_code == 200, r.text
    await api.idle()
    await switch(api, owner)  # (any switch makes the cached feeds stale)
    for fmt, found in (await feed_ids(api, f"/tags/{tag}")).items():
        assert found == urls(kept), fmt
    assert (await fetch(api, f"/@{member.username}", "atom")).status_code == 404


async def test_the_profile_page_links_its_feeds_once_opted_in(api: Api) -> None:
    author = await api.user()
    page = await api.client.get(f"/@{author.username}")
    assert page.status_code == 200 and b'rel="alternate"' not in page.content
    await switch(api, author)
    page = await api.client.get(f"/@{author.username}")
    base = api.stack.base_url
    for fmt, media_type in (("atom", "application/atom+xml"), ("rss", "application/rss+xml"),
                            ("json", "application/feed+json")):
        link = (f'<link rel="alternate" type="{media_type}" title="{author.username} ({fmt})" '
                f'href="{base}/@{author.username}.{fmt}">')
        assert link.encode() in page.content
    # The client's other pages are still the client.
    for path in (f"/@{author.username}/1", "/tags/anything"):
        r = await api.client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
