"""Link preview cards: the first link of a status fetched by the cards worker (posts-cards)
through the SSRF guard, kept per URL, shown as the status's ``card``; and the guard itself
against a real web server on 127.0.0.1 (tests/helpers/link_pages.py).

The test stack lets the guard reach 127.0.0.1 (``cards_allow_private``, tests/conftest.py);
the guard's own tests below build guards with the check on."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator

import httpx
import msgspec
import pytest
import trustme

from services.posts import status_cache
from services.posts.cards.worker import CardWorker
from shared import bus, events, subjects
from shared.link_fetch import MAX_BYTES, Guard, IPAddress, Refused, fetch_html, request
from shared.settings import from_env
from tests.helpers import Api, unique
from tests.helpers.link_pages import LinkPages

LOOPBACK = ipaddress.ip_address("127.0.0.1")
ONLY_LOOPBACK = Guard(also_allow=frozenset({LOOPBACK}))  # the check on for every other address


@pytest.fixture(scope="module")
def site() -> Iterator[LinkPages]:
    with LinkPages() as pages:
        yield pages


async def status_json(api: Api, status_id: str, headers: dict[str, str]) -> dict:
    r = await api.client.get(f"/api/v1/statuses/{status_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


# --- through the stack -------------------------------------------------------------------------

async def test_a_status_with_a_link_shows_the_pages_card(api: Api, site: LinkPages) -> None:
    author, reader = await api.user(), await api.user()
    name = unique("p")
    link = site.url(f"/page/{name}")
    status = await api.post(author, f"Read this, @{reader.username}: {link} #news and more "
                                    f"{site.url('/page/second')}")
    assert status["card"] is None  # fetched after the status is written, never on its way
    await api.idle()
    card = (await status_json(api, status["id"], reader.headers))["card"]
    assert card == {
        "url": link, "title": f"Title {name}", "description": f"About {name}",
        "language": None, "type": "link", "author_name": "", "author_url": "",
        "provider_name": "Link pages", "provider_url": "", "html": "", "width": 0,
        "height": 0, "image": None, "image_description": "", "embed_url": "",
        "blurhash": None, "published_at": None, "authors": []}
    assert site.hits("/page/second") == 0  # the first link only
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/card", headers=reader.headers)
    assert r.status_code == 200 and r.json() == card
    # In a timeline too (the cached status carries it).
    r = await api.client.get(f"/api/v1/accounts/{author.id}/statuses", headers=reader.headers)
    assert [s["card"]["title"] for s in r.json() if s["id"] == status["id"]] == [
        f"Title {name}"]


async def test_no_card_without_a_link_and_the_deprecated_route_answers_an_empty_object(
        api: Api) -> None:
    author = await api.user()
    status = await api.post(author, "no link here, just @nobody and #tags")
    await api.idle()
    assert (await status_json(api, status["id"], author.headers))["card"] is None
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/card", headers=author.headers)
    assert r.status_code == 200 and r.json() == {}
    r = await api.client.get("/api/v1/statuses/12345/card", headers=author.headers)
    assert r.status_code == 404


async def _created_event(api: Api, status_id: str) -> events.StatusCreated:
    rows = await api.stack.posts.pool.fetch(
        "SELECT payload FROM outbox WHERE subject LIKE $1 || '.%'",
        subjects.event("post.status.created"))
    found = [e for e in (events.decode(r["payload"]) for r in rows)
             if isinstance(e, events.StatusCreated) and e.status_id == int(status_id)]
    assert len(found) == 1
    return found[0]


async def test_only_a_status_with_a_link_is_read_and_locked_by_the_worker(
        api: Api, site: LinkPages) -> None:
    """Most posts have no link: their event says so, and the worker does nothing for them
    (no read, no locking transaction on the write path's busiest table)."""
    author = await api.user()
    plain = await api.post(author, "nothing to preview here")
    linked = await api.post(author, f"see {site.url('/page/' + unique('l'))}")
    assert (await _created_event(api, plain["id"])).has_link is False
    linked_event = await _created_event(api, linked["id"])
    assert linked_event.has_link is True
    await api.idle()
    # A worker handed the linked status's event, as if it had no link, leaves it alone.
    await api.stack.posts.pool.execute(
        "UPDATE statuses SET card_id = NULL WHERE id = $1", int(linked["id"]))
    worker = CardWorker(api.stack.posts.pool, api.stack.posts.redis.main, api.stack.js,
                        guard=ONLY_LOOPBACK, base_url="http://hubbub.test")
    await worker.on_created(msgspec.structs.replace(linked_event, has_link=False))
    assert await api.stack.posts.pool.fetchval(
        "SELECT card_id FROM statuses WHERE id = $1", int(linked["id"])) is None
    await worker.on_created(linked_event)
    assert await api.stack.posts.pool.fetchval(
        "SELECT card_id FROM statuses WHERE id = $1", int(linked["id"])) is not None


async def test_direct_messages_get_no_card(api: Api, site: LinkPages) -> None:
    """One-time links (password resets, sign-in links) travel in private messages: fetching
    one would use it up."""
    author, friend = await api.user(), await api.user()
    path = f"/page/{unique('dm')}"
    status = await api.post(author, f"@{friend.username} your link {site.url(path)}",
                            visibility="direct")
    await api.idle()
    assert (await status_json(api, status["id"], friend.headers))["card"] is None
    assert site.hits(path) == 0


async def test_the_card_route_hides_what_the_reader_may_not_see(api: Api, site: LinkPages
                                                                 ) -> None:
    author, stranger = await api.user(), await api.user()
    status = await api.post(author, f"followers only {site.url('/page/' + unique('p'))}",
                            visibility="private")
    await api.idle()
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/card", headers=stranger.headers)
    assert r.status_code == 404
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/card", headers=author.headers)
    assert r.status_code == 200 and r.json()["title"].startswith("Title ")


async def test_a_url_is_fetched_once_for_every_status_and_every_redelivery(
        api: Api, site: LinkPages) -> None:
    author, other = await api.user(), await api.user()
    path = f"/page/{unique('p')}"
    first = await api.post(author, f"one {site.url(path)}")
    await api.idle()
    second = await api.post(other, f"two {site.url(path)}")
    await api.idle()
    assert site.hits(path) == 1
    for status in (first, second):
        assert (await status_json(api, status["id"], author.headers))["card"]["url"] == \
            site.url(path)
    # The same events again (as a redelivery brings them): nothing fetched, nothing changed.
    version = await api.stack.posts.pool.fetchval(
        "SELECT version FROM statuses WHERE id = $1", int(first["id"]))
    await bus.publish_event(api.stack.js, events.StatusCreated(
        status_id=int(first["id"]), account_id=int(author.id), network_id=0,
        visibility="public"))
    await bus.publish_event(api.stack.js, events.StatusUpdated(
        status_id=int(first["id"]), account_id=int(author.id), visibility="public"))
    await api.idle()
    assert site.hits(path) == 1
    assert await api.stack.posts.pool.fetchval(
        "SELECT version FROM statuses WHERE id = $1", int(first["id"])) == version


async def test_an_edit_changes_or_removes_the_card(api: Api, site: LinkPages) -> None:
    author = await api.user()
    status = await api.post(author, f"first {site.url('/page/' + unique('a'))}")
    await api.idle()
    changed = site.url(f"/plain/{unique('b')}")
    r = await api.client.put(f"/api/v1/statuses/{status['id']}", headers=author.headers,
                             json={"status": f"now {changed}"})
    assert r.status_code == 200, r.text
    await api.idle()
    card = (await status_json(api, status["id"], author.headers))["card"]
    assert card["url"] == changed and card["title"].startswith("Plain ")
    assert card["description"].startswith("Plainly ")
    r = await api.client.put(f"/api/v1/statuses/{status['id']}", headers=author.headers,
                             json={"status": "no link any more"})
    assert r.status_code == 200, r.text
    await api.idle()
    assert (await status_json(api, status["id"], author.headers))["card"] is None


async def test_video_pages_are_video_cards(api: Api, site: LinkPages) -> None:
    author = await api.user()
    status = await api.post(author, f"watch {site.url('/video/' + unique('v'))}")
    await api.idle()
    assert (await status_json(api, status["id"], author.headers))["card"]["type"] == "video"


@pytest.mark.parametrize("path", ["/json", "/image.png", "/missing"])
async def test_no_card_for_what_is_not_an_html_page_and_the_failure_is_kept(
        api: Api, site: LinkPages, path: str) -> None:
    author = await api.user()
    query = f"?{unique('q')}"  # a URL of this test's own: its failure is not another's
    before = site.hits(path)
    first = await api.post(author, f"see {site.url(path + query)}")
    await api.idle()
    second = await api.post(author, f"again {site.url(path + query)}")
    await api.idle()
    for status in (first, second):
        assert (await status_json(api, status["id"], author.headers))["card"] is None
    assert site.hits(path) == before + 1  # the failure is cached: not fetched per status
    failure = await api.stack.posts.pool.fetchval(
        "SELECT failure FROM preview_cards WHERE url = $1", site.url(path + query))
    assert failure


async def test_a_huge_page_is_cut_and_still_has_its_card(api: Api, site: LinkPages) -> None:
    page = await fetch_html(site.url("/huge"), guard=ONLY_LOOPBACK)
    assert page.cut and len(page.body) == MAX_BYTES
    author = await api.user()
    status = await api.post(author, f"big {site.url('/huge?' + unique('q'))}")
    await api.idle()
    assert (await status_json(api, status["id"], author.headers))["card"]["title"] == "Huge"


async def test_the_worker_with_the_guard_on_links_no_card(api: Api, site: LinkPages) -> None:
    """The stack's worker may reach 127.0.0.1 (tests); one with the production guard may not."""
    author = await api.user()
    link = site.url(f"/page/{unique('g')}")
    status = await api.post(author, f"local {link}")
    await api.idle()
    # As if the stack's worker had not been there: no card linked, none kept.
    await api.stack.posts.pool.execute(
        "UPDATE statuses SET card_id = NULL WHERE id = $1", int(status["id"]))
    await api.stack.posts.pool.execute("DELETE FROM preview_cards WHERE url = $1", link)
    await status_cache.refresh(api.stack.posts.redis.main, api.stack.posts.pool,
                               int(status["id"]))
    guarded = CardWorker(api.stack.posts.pool, api.stack.posts.redis.main, api.stack.js,
                         guard=Guard(), base_url="http://hubbub.test")
    await guarded.link(int(status["id"]))
    assert (await status_json(api, status["id"], author.headers))["card"] is None
    assert await api.stack.posts.pool.fetchval(
        "SELECT card_id FROM statuses WHERE id = $1", int(status["id"])) is None
    assert "not public" in await api.stack.posts.pool.fetchval(
        "SELECT failure FROM preview_cards WHERE url = $1", link)


async def test_a_slow_page_times_out(api: Api, site: LinkPages) -> None:
    with pytest.raises(TimeoutError):
        await fetch_html(site.url(f"/slow?s=2&{unique('q')}"), guard=ONLY_LOOPBACK,
                         timeout_s=0.5)
    worker = CardWorker(api.stack.posts.pool, api.stack.posts.redis.main, api.stack.js,
                        guard=ONLY_LOOPBACK, base_url="http://hubbub.test", timeout_s=0.5)
    assert await worker.fetch(site.url(f"/slow?s=2&{unique('q')}")) == (None, "timed out")


def test_cards_settings() -> None:
    assert from_env({}).cards and not from_env({}).cards_allow_private
    assert not from_env({"HUBBUB_CARDS": "0"}).cards
    assert from_env({"HUBBUB_CARDS_ALLOW_PRIVATE": "1"}).cards_allow_private


# --- the guard against a real server -----------------------------------------------------------

async def test_the_guard_refuses_the_loopback_server_itself(site: LinkPages) -> None:
    with pytest.raises(Refused):
        await fetch_html(site.url("/page/x"), guard=Guard())
    with pytest.raises(Refused):
        await fetch_html(site.url("/page/x", host="localhost"), guard=Guard())
    assert (await fetch_html(site.url("/page/x"), guard=ONLY_LOOPBACK)).body


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.0.1:8080/",
    "http://127.0.0.2:{port}/page/x", "http://[::1]:{port}/page/x",
    "http://[::ffff:127.0.0.2]:{port}/page/x", "http://0.0.0.0:{port}/page/x",
    "ftp://example.com/file", "file:///etc/passwd",
])
async def test_a_redirect_to_a_private_address_is_refused(site: LinkPages, target: str) -> None:
    from urllib.parse import quote
    before = site.hits("/page/x")
    url = site.url(f"/redirect?to={quote(target.format(port=site.port), safe='')}")
    with pytest.raises(Refused):
        await fetch_html(url, guard=ONLY_LOOPBACK)
    assert site.hits("/page/x") == before  # refused before connecting


async def test_redirects_are_followed_three_times_at_most(site: LinkPages) -> None:
    page = await fetch_html(site.url("/hops/3"), guard=ONLY_LOOPBACK)
    assert b"Arrived" in page.body and page.url.endswith("/hops/0")
    with pytest.raises(Refused, match="redirects"):
        await fetch_html(site.url("/hops/4"), guard=ONLY_LOOPBACK)


async def test_the_connection_goes_to_the_address_that_was_checked(site: LinkPages) -> None:
    """DNS rebinding: the name answers a checked address first and a private one after; the
    fetch resolves once and connects there, naming the host in its Host header."""
    answers = [LOOPBACK, ipaddress.ip_address("10.0.0.1")]
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        return [answers[min(len(asked) - 1, 1)]]

    page = await fetch_html(site.url("/page/rebind", host="rebind.test"), guard=ONLY_LOOPBACK,
                            resolver=rebinding)
    assert b"Title rebind" in page.body
    assert asked == ["rebind.test"]
    assert site.hosts[-1] == f"rebind.test:{site.port}"
    with pytest.raises(Refused):  # asked again, the name's private answer is refused
        await fetch_html(site.url("/page/rebind", host="rebind.test"), guard=ONLY_LOOPBACK,
                         resolver=rebinding)


async def test_an_expired_card_is_fetched_again_and_kept_when_the_page_fails(
        api: Api, site: LinkPages) -> None:
    author = await api.user()
    path = f"/page/{unique('x')}"
    status = await api.post(author, f"see {site.url(path)}")
    await api.idle()
    pool = api.stack.posts.pool
    expire = "UPDATE preview_cards SET expires_at = now() - interval '1 second' WHERE url = $1"
    await pool.execute(expire, site.url(path))
    await bus.publish_event(api.stack.js, events.StatusUpdated(
        status_id=int(status["id"]), account_id=int(author.id), visibility="public"))
    await api.idle()
    assert site.hits(path) == 2  # a day later, the page is read again
    # Expired once more, and this time the fetch fails (a guard that refuses the address
    # stands in for a site that is down): the card stays as it was.
    await pool.execute(expire, site.url(path))
    guarded = CardWorker(pool, api.stack.posts.redis.main, api.stack.js, guard=Guard(),
                         base_url="http://hubbub.test")
    await guarded.link(int(status["id"]))
    row = await pool.fetchrow("SELECT state, failure, expires_at > now() AS fresh "
                              "FROM preview_cards WHERE url = $1", site.url(path))
    assert row["state"] == "ready" and row["failure"] and row["fresh"]
    card = (await status_json(api, status["id"], author.headers))["card"]
    assert card is not None and card["url"] == site.url(path)


async def test_statuses_sharing_a_url_at_once_wait_for_one_fetch(api: Api, site: LinkPages
                                                                  ) -> None:
    author = await api.user()
    link = site.url(f"/slow?s=1&{unique('q')}")
    before = site.hits("/slow")
    posted = [await api.post(author, f"{n} {link}") for n in range(3)]
    await api.idle()
    assert site.hits("/slow") == before + 1
    for status in posted:
        assert (await status_json(api, status["id"], author.headers))["card"]["title"] == "Slow"


async def test_https_is_checked_against_the_host_name_while_connecting_to_its_address() -> None:
    """Connecting to the checked IP must not weaken TLS: the certificate is checked against
    the URL's host name (sent as SNI), not the address."""
    ca = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("pages.test").configure_cert(served)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)

    async def to_loopback(host: str, port: int) -> list[IPAddress]:
        return [LOOPBACK]

    with LinkPages(tls=served) as tls_site:
        page = await fetch_html(tls_site.url("/page/tls", host="pages.test"),
                                guard=ONLY_LOOPBACK, resolver=to_loopback, verify=trusting)
        assert b"Title tls" in page.body
        with pytest.raises(httpx.ConnectError):  # the certificate names another host
            await fetch_html(tls_site.url("/page/tls", host="other.test"),
                             guard=ONLY_LOOPBACK, resolver=to_loopback, verify=trusting)
        with pytest.raises(httpx.ConnectError):  # a CA the client does not trust
            await fetch_html(tls_site.url("/page/tls", host="pages.test"),
                             guard=ONLY_LOOPBACK, resolver=to_loopback)


# --- the guard's general request (webhooks and inbound feeds use it) ---------------------------

async def test_an_allow_listed_network_is_reached_and_every_other_private_address_refused(
        site: LinkPages) -> None:
    guard = Guard.allowing("127.0.0.0/8, 10.1.2.3")
    answer = await request("GET", site.url("/page/allowed"), guard=guard)
    assert answer.status == 200 and b"Title allowed" in answer.body
    for target in ("http://10.1.2.4/", "http://192.168.1.1/", "http://169.254.169.254/",
                   "http://[::1]/"):
        with pytest.raises(Refused, match="not public"):
            await request("GET", target, guard=guard)
    with pytest.raises(ValueError, match="not an address"):
        Guard.allowing("127.0.0.1, intranet")


async def test_a_request_that_is_not_a_get_follows_no_redirect(site: LinkPages) -> None:
    answer = await request("POST", site.url("/redirect?to=/page/not-followed"), guard=ONLY_LOOPBACK,
                           content=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status == 302 and site.hits("/page/not-followed") == 0
    assert answer.headers["location"] == "/page/not-followed"


async def test_a_body_past_the_limit_is_cut_and_says_so(site: LinkPages) -> None:
    answer = await request("GET", site.url("/huge"), guard=ONLY_LOOPBACK, max_bytes=1000)
    assert answer.cut and len(answer.body) == 1000
