"""Inbound feeds: a community's admin adds an Atom, RSS or JSON feed; each new entry is posted
into the community once by the community's bot (title, summary as plain text, link), the first
poll posting only the newest few; a 304 posts nothing; every way a feed goes wrong is shown to
the admins and stops nothing. The poller is paused and called by the tests (the same code the
posts service runs every ``feed_check_seconds``)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import Api
from tests.helpers.communities import join
from tests.helpers.feed_site import FeedSite, Item
from tests.helpers.inbound_feeds import (
    BASE,
    add_feed,
    added,
    another_poller,
    community_texts,
    feed_list,
    feed_state,
    make_due,
    owned_community,
    poller_paused,
)


@pytest.fixture(scope="module")
def site():
    with FeedSite() as running:
        yield running


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("kind", ["rss", "atom", "json"])
async def test_each_entry_is_posted_once_by_the_communitys_bot(api: Api, site: FeedSite,
                                                               kind: str) -> None:
    owner, community = await owned_community(api)
    name = f"{kind}-{community['id']}"
    site.publish(name, Item("a", "First news", "<p>About <b>first</b></p>"),
                 Item("b", "Second news", "<p>About second</p>"))
    async with poller_paused(api) as poller:
        feed = await added(api, owner, community["id"], site.url(f"/{kind}/{name}"))
        assert feed["last_polled_at"] is None and feed["last_error"] is None
        assert await poller.poll_due() == 2
        assert await community_texts(api, community["id"]) == [
            "First news\n\nAbout first\n\nhttp://example.test/a",
            "Second news\n\nAbout second\n\nhttp://example.test/b"]
        # Nothing new: a conditional GET answered 304, a success that posts nothing.
        await make_due(api, feed["id"])
        assert await poller.poll_due() == 0
        assert site.not_modified(f"/{kind}/{name}") == 1
        state = await feed_state(api, owner, community["id"], feed["id"])
        assert state["last_error"] is None and state["failures"] == 0
        assert state["items_posted"] == 2 and state["title"] == name
        assert _when(state["next_poll_at"]) > _when(state["last_polled_at"])
        site.publish(name, Item("c", "Third news"))
        await make_due(api, feed["id"])
        assert await poller.poll_due() == 1
    texts = await community_texts(api, community["id"])
    assert len(texts) == 3 and texts[-1] == "Third news\n\nhttp://example.test/c"
    await api.idle()
    r = await api.client.get(f"/api/hubbub/v1/timelines/community/{community['id']}",
                             headers=owner.headers)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert [s["content"].count("news") for s in shown] == [1, 1, 1]
    bot = shown[0]["account"]
    assert bot["bot"] is True and bot["display_name"] == f"{community['name']} bot"
    assert {s["account"]["id"] for s in shown} == {bot["id"]}
    # The bot is a member of the community, the one bot of it whatever the feeds.
    r = await api.client.get(f"{BASE}/{community['id']}/members", headers=owner.headers)
    assert {m["id"]: m["role"] for m in r.json()}[bot["id"]] == "member"


async def test_the_first_poll_posts_only_the_newest_few(api: Api, site: FeedSite) -> None:
    owner, community = await owned_community(api)
    name = f"backlog-{community['id']}"
    site.publish(name, *[Item(f"n{i}", f"Entry {i}") for i in range(12)])
    async with poller_paused(api) as poller:
        feed = await added(api, owner, community["id"], site.url(f"/rss/{name}"))
        assert await poller.poll_due() == 5
        assert [t.split("\n")[0] for t in await community_texts(api, community["id"])] == [
            f"Entry {i}" for i in range(7, 12)]
        site.publish(name, Item("n12", "Entry 12"))
        await make_due(api, feed["id"])
        assert await poller.poll_due() == 1
    assert [t.split("\n")[0] for t in await community_texts(api, community["id"])][-1] == \
        "Entry 12"


async def test_script_in_an_entry_never_reaches_a_reader(api: Api, site: FeedSite) -> None:
    owner, community = await owned_community(api)
    name = f"xss-{community['id']}"
    site.publish(name, Item("x", "Hi <script>alert('t')</script>",
                            '<p>Hello <script>alert("x")</script><img src=x onerror="alert(1)">'
                            '<a href="javascript:alert(2)">world</a></p><style>p{}</style>'))
    async with poller_paused(api) as poller:
        await added(api, owner, community["id"], site.url(f"/atom/{name}"))
        assert await poller.poll_due() == 1
    [text] = await community_texts(api, community["id"])
    assert text == "Hi\n\nHello world\n\nhttp://example.test/x"
    await api.idle()
    r = await api.client.get(f"/api/hubbub/v1/timelines/community/{community['id']}",
                             headers=owner.headers)
    [status] = r.json()
    for bad in ("<script", "alert", "onerror", "javascript:", "<img", "<style"):
        assert bad not in status["content"]


async def test_an_entry_seen_once_is_never_posted_again(api: Api, site: FeedSite) -> None:
    owner, community = await owned_community(api)
    name = f"dups-{community['id']}"
    # No GUID: keyed by its link; listed twice in one answer.
    site.publish(name, Item("l", "Linked", link="http://example.test/same", guid=False),
                 Item("l", "Linked", link="http://example.test/same", guid=False))
    async with poller_paused(api) as poller:
        feed = await added(api, owner, community["id"], site.url(f"/rss/{name}"))
        assert await poller.poll_due() == 1
        # Its title changed, its link did not; and the answer's validators are forgotten.
        site.publish(name, Item("l", "Linked, edited", link="http://example.test/same",
                                guid=False))
        await api.stack.posts.pool.execute(
            "UPDATE community_feeds SET etag = NULL WHERE id = $1", int(feed["id"]))
        await make_due(api, feed["id"])
        assert await poller.poll_due() == 0
    assert len(await community_texts(api, community["id"])) == 1


@pytest.mark.parametrize(("path", "error"), [
    ("/text", "not a feed"),
    ("/huge", "larger than 2,000,000 bytes"),
    ("/loop", "refused: more than 3 redirects"),
    ("/status/500", "HTTP 500"),
    ("/status/404", "HTTP 404"),
    ("/hang", "no answer within 1 s"),
])
async def test_a_failing_feed_shows_its_error_and_backs_off(api: Api, site: FeedSite, path: str,
                                                            error: str) -> None:
    owner, community = await owned_community(api)
    async with poller_paused(api):
        feed = await added(api, owner, community["id"], site.url(path))
        poller = another_poller(api, feed_timeout_s=1.0)
        assert await poller.poll_due() == 0
        first = await feed_state(api, owner, community["id"], feed["id"])
        assert error in first["last_error"] and first["failures"] == 1
        assert first["last_polled_at"] and first["last_success_at"] is None
        await make_due(api, feed["id"])
        assert await poller.poll_due() == 0
        second = await feed_state(api, owner, community["id"], feed["id"])
    assert second["failures"] == 2
    # Backed off: twice the interval after two failures in a row.
    waited = _when(second["next_poll_at"]) - _when(second["last_polled_at"])
    assert waited >= dt.timedelta(seconds=2 * feed["interval_s"] - 5)
    assert await community_texts(api, community["id"]) == []


async def test_a_feed_on_a_private_address_is_refused_by_the_guard(api: Api) -> None:
    owner, community = await owned_community(api)
    async with poller_paused(api) as poller:
        feed = await added(api, owner, community["id"], "http://10.1.2.3/feed.xml")
        await poller.poll_due()
        state = await feed_state(api, owner, community["id"], feed["id"])
    assert state["last_error"].startswith("refused:") and "not public" in state["last_error"]


async def test_a_feed_that_recovers_clears_its_error(api: Api, site: FeedSite) -> None:
    owner, community = await owned_community(api)
    name = f"later-{community['id']}"
    async with poller_paused(api) as poller:
        feed = await added(api, owner, community["id"], site.url(f"/rss/{name}"))
        await api.stack.posts.pool.execute(
            "UPDATE community_feeds SET url = $2 WHERE id = $1", int(feed["id"]),
            site.url("/status/503"))
        await poller.poll_due()
        assert (await feed_state(api, owner, community["id"], feed["id"]))["failures"] == 1
        await api.stack.posts.pool.execute(
            "UPDATE community_feeds SET url = $2, next_poll_at = now() WHERE id = $1",
            int(feed["id"]), site.url(f"/rss/{name}"))
        site.publish(name, Item("r", "Recovered"))
        assert await poller.poll_due() == 1
        state = await feed_state(api, owner, community["id"], feed["id"])
    assert state["last_error"] is None and state["failures"] == 0 and state["last_success_at"]


# --- the API's refusals -------------------------------------------------------------------------

async def test_only_the_communitys_managers_manage_its_feeds(api: Api, site: FeedSite) -> None:
    owner, community = await owned_community(api)
    member = await api.user()
    await join(api, member, community)
    async with poller_paused(api):
        feed = await added(api, owner, community["id"], site.url("/rss/managers"))
        r = await add_feed(api, member, community["id"], site.url("/rss/other"))
        assert r.status_code == 403, r.text
        r = await api.client.get(f"{BASE}/{community['id']}/feeds", headers=member.headers)
        assert r.status_code == 403, r.text
        r = await api.client.delete(f"{BASE}/{community['id']}/feeds/{feed['id']}",
                                    headers=member.headers)
        assert r.status_code == 403, r.text
        stranger = await api.user(domain="elsewhere-feeds.test")
        r = await add_feed(api, stranger, community["id"], site.url("/rss/x"))
        assert r.status_code == 404, r.text
        r = await api.client.post(f"{BASE}/{community['id']}/feeds", json={"url": "x"})
        assert r.status_code == 401, r.text
        r = await api.client.delete(f"{BASE}/{community['id']}/feeds/{feed['id']}",
                                    headers=owner.headers)
        assert r.status_code == 200, r.text
        r = await api.client.delete(f"{BASE}/{community['id']}/feeds/{feed['id']}",
                                    headers=owner.headers)
        assert r.status_code == 404, r.text
    assert await feed_list(api, owner, community["id"]) == []


@pytest.mark.parametrize("url", ["ftp://example.test/feed", "not a url", "", "http://",
                                 "javascript:alert(1)", "http://x.test/" + "a" * 2000])
async def test_a_feed_url_must_be_http(api: Api, url: str) -> None:
    owner, community = await owned_community(api)
    r = await add_feed(api, owner, community["id"], url)
    assert r.status_code == 422, r.text
    assert "url" in r.json().get("details", {}) or "url" in r.json()["error"]


async def test_a_feed_is_added_once_per_community(api: Api, site: FeedSite) -> None:
    owner, community = await owned_community(api)
    async with poller_paused(api):
        await added(api, owner, community["id"], site.url("/rss/once"))
        r = await add_feed(api, owner, community["id"], site.url("/rss/once"))
    assert r.status_code == 422, r.text


async def test_a_poll_that_could_not_post_posts_it_next_time(api: Api, site: FeedSite) -> None:
    """The community's bot removed from it: the entries wait (the error shown), and once it is
    back they are posted; the answer's validators were not kept, so no 304 hides them."""
    owner, community = await owned_community(api)
    name = f"blocked-{community['id']}"
    site.publish(name, Item("w", "Waiting"))
    graph = api.stack.graph.pool
    async with poller_paused(api) as poller:
        feed = await added(api, owner, community["id"], site.url(f"/rss/{name}"))
        bot = await graph.fetchrow(
            "DELETE FROM community_members m USING communities c WHERE c.id = $1 "
            "AND m.community_id = c.id AND m.account_id = c.bot_account_id RETURNING m.*",
            int(community["id"]))
        assert await poller.poll_due() == 0
        state = await feed_state(api, owner, community["id"], feed["id"])
        assert state["last_error"].startswith("could not post") and state["failures"] == 1
        await graph.execute(
            "INSERT INTO community_members (community_id, account_id, role) VALUES ($1, $2, $3)",
            bot["community_id"], bot["account_id"], bot["role"])
        await make_due(api, feed["id"])
        assert await poller.poll_due() == 1
    assert site.not_modified(f"/rss/{name}") == 0
    assert [t.split("\n")[0] for t in await community_texts(api, community["id"])] == ["Waiting"]
