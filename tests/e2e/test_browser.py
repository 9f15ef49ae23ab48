"""The web client in a real browser: Debian's Chromium driven by Playwright against the stack.

Two people sign up in two browser contexts, one follows the other, a post appears live in the
follower's page within a second (or behind the "new posts" bar when scrolled down, or by catch-up
after the connection drops), a reply shows in the thread, the notification badge counts up and
clears, a guest's page shows only its community, and signing out revokes the token. Screenshots of
the main pages go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import Api, unique
from tests.helpers.browser import APIS, CHROMIUM, DATA_DIR, PASSWORD, new_context
from tests.helpers.mail_drop import link_in, wait_for_mail

if not CHROMIUM.exists():
    pytest.skip("Chromium not installed: the browser tests need /usr/bin/chromium (Debian's "
                "`apt-get install chromium`; .ci/run installs it)", allow_module_level=True)
try:
    from playwright.async_api import Browser, Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = pytest.mark.usefixtures("mail_drop")


class Person:
    def __init__(self, page: Page, username: str, email: str) -> None:
        self.page = page
        self.username = username
        self.email = email
        self.errors: list[str] = []  # uncaught exceptions in the page
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    async def token(self) -> str:
        return await self.page.evaluate("localStorage.getItem('hubbub.token')")

    async def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}"}


async def sign_up(browser: Browser, base_url: str, prefix: str, domain: str = "acme.test",
                  screenshot: str | None = None, data_dir: str | None = None) -> Person:
    await claimed(base_url, domain)
    page = await (await new_context(browser)).new_page()
    username = unique(prefix)
    email = f"{username}@{domain}"
    person = Person(page, username, email)
    await page.goto(base_url)
    await page.get_by_role("button", name="Create account").click()
    await page.wait_for_url("**/oauth/sign_up?**")
    await page.get_by_label("Name", exact=True).fill(prefix.title())
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Work e-mail").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    if screenshot:
        await page.screenshot(path=ARTIFACTS / screenshot)
    await page.get_by_role("button", name="Create account").click()
    # Back through /web/callback: the code is exchanged (PKCE); without an invitation the
    # account waits for its address to be confirmed.
    await expect(page.get_by_role("heading", name="Confirm your e-mail")).to_be_visible()
    await confirm_by_mail(page, data_dir or DATA_DIR[base_url], email)
    # The client notices the confirmation by itself and loads the home page.
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()
    assert page.url == f"{base_url}/"
    return person


async def claimed(base_url: str, domain: str) -> None:
    """Sign-up needs a network that claimed the address's domain: its first user (by
    invitation) makes it, as an operator would."""
    api = APIS[base_url]
    if domain not in api.stack.network_domains:
        await api.user(domain=domain)


async def confirm_by_mail(page: Page, data_dir: str, email: str, after: int = 0) -> None:
    """Open the confirmation link mailed to ``email`` in a tab of the page's browser and press
    its button."""
    link = link_in(await wait_for_mail(data_dir, email, after=after))
    tab = await page.context.new_page()
    await tab.goto(link)
    await tab.get_by_role("button", name="Confirm my address").click()
    await expect(tab.get_by_role("heading", name="Your address is confirmed")).to_be_visible()
    await tab.close()


def composer(page: Page, scope: Any = None):
    return (scope or page).get_by_role("combobox", name="What do you want to say?")


async def post(person: Person, text: str) -> None:
    page = person.page
    await composer(page).first.fill(text)
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/statuses")
                                    and r.request.method == "POST") as response:
        await page.get_by_role("button", name="Post", exact=True).first.click()
    assert (await response.value).ok


async def test_follow_post_live_reply_and_notifications(browser: Browser, api: Api) -> None:
    base = api.stack.base_url
    alice = await sign_up(browser, base, "alice", screenshot="sign-up.png")
    bob = await sign_up(browser, base, "bob")

    # Bob finds Alice's profile and follows her; her badge counts the follow, live.
    await bob.page.goto(f"{base}/@{alice.username}")
    await bob.page.get_by_role("button", name="Follow Alice", exact=True).click()
    await expect(bob.page.get_by_role("button", name="Unfollow Alice", exact=True)).to_be_visible()
    await expect(bob.page.locator(".stat-followers strong")).to_have_text("1")
    await bob.page.screenshot(path=ARTIFACTS / "profile.png")
    await expect(alice.page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()

    # A post appears at the top of Bob's home within a second, without a reload.
    await bob.page.get_by_role("link", name="Home", exact=True).click()
    await expect(bob.page.get_by_role("heading", name="Home")).to_be_visible()
    await bob.page.evaluate("window.notReloaded = true")
    hello = f"Hello from Alice, launching #launch{alice.username}"
    await post(alice, hello)
    started = time.monotonic()
    await expect(bob.page.get_by_role("article").filter(has_text=hello)).to_be_visible(
        timeout=1000)
    assert time.monotonic() - started < 1.0
    assert await bob.page.evaluate("window.notReloaded") is True
    await bob.page.screenshot(path=ARTIFACTS / "home.png")

    # Bob opens the thread and replies; the reply shows under the post, and Alice's badge is 2.
    await bob.page.get_by_role("article").filter(has_text=hello).get_by_role(
        "link", name="now").click()
    await expect(bob.page.get_by_role("heading", name="Thread")).to_be_visible()
    reply_box = composer(bob.page)
    await expect(reply_box).to_have_value(f"@{alice.username} ")
    await reply_box.press_sequentially("Congratulations! #launch")
    await expect(bob.page.get_by_role("option", name=f"#launch{alice.username}")).to_be_visible()
    await reply_box.press("Escape")
    await bob.page.get_by_role("form", name="Reply").get_by_role("button", name="Reply").click()
    replies = bob.page.get_by_role("feed", name="Replies")
    await expect(replies.get_by_role("article").filter(has_text="Congratulations!")).to_be_visible()
    await bob.page.screenshot(path=ARTIFACTS / "thread.png")
    await expect(alice.page.get_by_role("link", name="Notifications, 2 unread")).to_be_visible()
    await expect(alice.page.locator(".nav-badge")).to_have_text("2")

    # Alice composes a poll with a content warning, from the "New post" dialog.
    await alice.page.get_by_role("button", name="New post").click()
    dialog = alice.page.get_by_role("dialog", name="New post")
    question = "Where should the offsite be? Options: "
    await composer(alice.page, dialog).fill(question + "https://example.com/offsite/2026/options")
    # A link counts 23 characters, however long it is.
    await expect(dialog.locator(".counter")).to_have_text(str(500 - len(question) - 23))
    await dialog.get_by_role("button", name="Add a poll").click()
    await dialog.get_by_label("Option 1").fill("Lisbon")
    await dialog.get_by_label("Option 2").fill("Berlin")
    await dialog.get_by_role("button", name="Add option").click()
    await dialog.get_by_label("Option 3").fill("Remote")
    await dialog.get_by_role("button", name="Add a content warning").click()
    await dialog.get_by_role("textbox", name="Content warning").fill("Offsite planning")
    await alice.page.screenshot(path=ARTIFACTS / "compose-poll.png")
    await dialog.get_by_role("button", name="Post", exact=True).click()
    await expect(dialog).to_be_hidden()

    # Bob sees it live behind its warning, opens it and votes.
    poll_post = bob.page.get_by_role("article").filter(has_text="Offsite planning")
    await bob.page.get_by_role("link", name="Home", exact=True).click()
    await expect(poll_post).to_be_visible()
    await poll_post.get_by_role("button", name="Show more").click()
    await poll_post.get_by_role("radio", name="Lisbon").check()
    await poll_post.get_by_role("button", name="Vote").click()
    await expect(poll_post.get_by_text("Your vote")).to_be_visible()

    # Alice reads her notifications: the badge clears, and stays clear after a reload.
    await alice.page.get_by_role("link", name="Notifications, 2 unread").click()
    notes = alice.page.get_by_role("feed", name="Notifications")
    await expect(notes.get_by_role("article", name="Bob mentioned you, unread")).to_be_visible()
    await expect(notes.get_by_role("article", name="Bob followed you, unread")).to_be_visible()
    await expect(alice.page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    await alice.page.screenshot(path=ARTIFACTS / "notifications.png")
    async with alice.page.expect_response("**/api/v1/notifications/unread_count") as counted:
        await alice.page.reload()
    assert (await (await counted.value).json())["count"] == 0
    await expect(alice.page.get_by_role("heading", name="Notifications")).to_be_visible()
    await expect(alice.page.locator(".nav-badge")).to_be_hidden()
    assert alice.errors == [] and bob.errors == []


async def test_new_posts_bar_and_catch_up_after_a_dropped_connection(browser: Browser,
                                                                      api: Api) -> None:
    base = api.stack.base_url
    author = await api.user()
    for n in range(24):  # more than a page (20)
        await api.post(author, f"Backlog post number {n}.")
    reader = await sign_up(browser, base, "reader")
    headers = await reader.headers()
    r = await api.client.post(f"/api/v1/accounts/{author.id}/follow", headers=headers)
    assert r.status_code == 200
    await api.idle()
    page = reader.page
    await page.reload()
    articles = page.get_by_role("article")
    await expect(articles.filter(has_text="Backlog post number 23.")).to_be_visible()
    await expect(articles).to_have_count(20)

    # Infinite scroll: the next page (max_id) loads as you near the end.
    async with page.expect_request(lambda r: "/api/v1/timelines/home?" in r.url
                                   and "max_id=" in r.url):
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    await expect(articles.filter(has_text="Backlog post number 0.")).to_be_visible()
    await expect(page.get_by_text("You're all caught up.")).to_be_visible()

    # Scrolled down: a new post waits behind the bar instead of moving what you read.
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    await page.wait_for_timeout(200)
    await api.post(author, "Fresh while you scroll")
    bar = page.get_by_role("button", name="1 new post")
    await expect(bar).to_be_visible(timeout=2000)
    assert await page.get_by_role("article").filter(has_text="Fresh while you scroll").count() == 0
    await bar.click()
    first = page.get_by_role("article").first
    await expect(first).to_contain_text("Fresh while you scroll")
    await expect(first).to_be_focused()

    # The connection drops; a post written meanwhile arrives by catch-up (since_id) on reconnect.
    await page.evaluate("window.scrollTo(0, 0)")
    await page.evaluate("window.hubbubStream.drop()")
    await api.post(author, "Written while you were offline")
    await expect(page.get_by_role("article").first).to_contain_text(
        "Written while you were offline", timeout=8000)

    # Phone width: the same page, with the bottom navigation.
    phone = await (await new_context(browser, viewport={"width": 390, "height": 844},
                                     storage_state=await page.context.storage_state())).new_page()
    await phone.goto(base)
    await expect(phone.get_by_role("article").first).to_be_visible()
    await expect(phone.get_by_role("navigation", name="Main")).to_be_visible()
    await phone.screenshot(path=ARTIFACTS / "phone.png")


async def test_guest_sees_only_its_community(browser: Browser, api: Api) -> None:
    base = api.stack.base_url
    owner = await api.user()

    async def community(name: str, external: bool) -> dict[str, Any]:
        r = await api.client.post("/api/hubbub/v1/communities", headers=owner.headers,
                                  json={"name": name, "description": f"About {name}",
                                        "external": external})
        assert r.status_code == 200, r.text
        return r.json()

    shared = await community(f"Partner launch {unique('')}", external=True)
    internal = await community(f"Acme only {unique('')}", external=False)
    await api.post(owner, "Kick-off notes for our partners", community_id=shared["id"])
    await api.post(owner, "Internal numbers", community_id=internal["id"])
    guest = await sign_up(browser, base, "gail", domain="partner.test")
    me = (await api.client.get("/api/v1/accounts/verify_credentials",
                               headers=await guest.headers())).json()
    r = await api.client.post(f"/api/hubbub/v1/communities/{shared['id']}/invite",
                              headers=owner.headers, json={"account_id": me["id"]})
    assert r.status_code == 200, r.text
    await api.idle()

    page = guest.page
    await page.get_by_role("link", name="Communities", exact=True).click()
    cards = page.locator(".community-card")
    await expect(cards).to_have_count(1)
    await expect(cards.first).to_contain_text(shared["name"])
    await expect(cards.first.get_by_text("External")).to_be_visible()
    await expect(page.get_by_text(internal["name"])).to_have_count(0)
    await page.get_by_role("button", name=f"Accept invitation: {shared['name']}").click()
    await expect(cards.first.get_by_text("You are a guest")).to_be_visible()
    await cards.first.get_by_role("link", name=shared["name"]).click()
    await expect(page.get_by_role("heading", name=shared["name"])).to_be_visible()
    await expect(page.get_by_text("You are a guest here.")).to_be_visible()
    timeline = page.get_by_role("feed", name=f"Posts in {shared['name']}")
    await expect(timeline.get_by_role("article").filter(
        has_text="Kick-off notes for our partners")).to_be_visible()
    await expect(page.get_by_text("Internal numbers")).to_have_count(0)
    # The host's posts say which network they come from.
    await expect(timeline.get_by_role("article").first.get_by_text("acme.test")).to_be_visible()

    # The guest posts into the community; it shows there at once.
    await post(guest, "Hello from the partner side")
    await expect(timeline.get_by_role("article").filter(
        has_text="Hello from the partner side")).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "community.png")
    await page.get_by_role("link", name="Members").click()
    members = page.get_by_role("list", name=f"Members of {shared['name']}")
    await expect(members.get_by_text("Guest", exact=True)).to_be_visible()
    await expect(members.get_by_text("Owner", exact=True)).to_be_visible()


async def test_sign_out_revokes_and_sign_in_with_pkce(browser: Browser, api: Api) -> None:
    base = api.stack.base_url
    person = await sign_up(browser, base, "carol")
    page = person.page
    token = await person.token()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert await person.token() is None
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.get("/api/v1/accounts/verify_credentials",
                             headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401

    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/oauth/authorize?**")
    assert "code_challenge_method=S256" in page.url
    await page.get_by_label("E-mail or username").fill(person.email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in and allow").click()
    await expect(page.get_by_role("alert")).to_contain_text("Invalid e-mail address or password")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.screenshot(path=ARTIFACTS / "sign-in.png")
    await page.get_by_role("button", name="Sign in and allow").click()
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()
    assert await person.token() not in (None, token)


async def test_keyboard_edit_delete_bookmark_and_search(browser: Browser, api: Api) -> None:
    base = api.stack.base_url
    colleague = await api.user()
    await api.post(colleague, "Standup notes #weekly")
    person = await sign_up(browser, base, "dana")
    page = person.page
    await post(person, "First draft of the plan")
    mine = page.get_by_role("article").filter(has_text="First draft of the plan")
    await expect(mine).to_be_visible()

    # Keyboard only: j focuses the post, f favourites it, m-less bookmark via its button.
    await page.locator("body").press("j")
    await expect(mine).to_be_focused()
    async with page.expect_response("**/favourite"):
        await page.keyboard.press("f")
    await expect(mine.get_by_role("button", name="Remove favourite")).to_have_attribute(
        "aria-pressed", "true")
    await mine.get_by_role("button", name="Bookmark").focus()
    async with page.expect_response("**/bookmark"):
        await page.keyboard.press("Enter")
    await expect(mine.get_by_role("button", name="Remove bookmark")).to_be_focused()

    # Edit through the post's menu; the card updates in place.
    await mine.get_by_role("button", name="More actions").click()
    await page.get_by_role("menuitem", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit post")
    box = dialog.get_by_role("combobox", name="Post text")
    await expect(box).to_have_value("First draft of the plan")
    await box.fill("Second draft of the plan")
    await dialog.get_by_role("button", name="Save").click()
    edited = page.get_by_role("article").filter(has_text="Second draft of the plan")
    await expect(edited.get_by_text("edited")).to_be_visible()

    # It is in the bookmarks; deleting it (after confirming) removes it everywhere.
    await page.get_by_role("link", name="Bookmarks").click()
    saved = page.get_by_role("feed", name="Bookmarks").get_by_role("article")
    await expect(saved).to_have_count(1)
    await saved.get_by_role("button", name="More actions").click()
    await page.get_by_role("menuitem", name="Delete").click()
    await page.get_by_role("dialog", name="Delete post?").get_by_role(
        "button", name="Delete").click()
    await expect(saved).to_have_count(0)

    # Search finds people and hashtags; a hashtag page follows the tag.
    await page.keyboard.press("/")
    await expect(page.get_by_role("heading", name="Search")).to_be_visible()
    await expect(page.locator("#search-q")).to_be_focused()
    await page.locator("#search-q").fill(colleague.username)
    await expect(page.get_by_role("link", name=f"@{colleague.username}")).to_be_visible()
    await page.locator("#search-q").fill("#weekly")
    await page.get_by_role("link", name="#weekly").click()
    await expect(page.get_by_role("heading", name="#weekly")).to_be_visible()
    await expect(page.get_by_role("article").filter(has_text="Standup notes")).to_be_visible()
    await page.get_by_role("button", name="Follow #weekly").click()
    await expect(page.get_by_role("button", name="Unfollow #weekly")).to_be_visible()
    assert person.errors == []
