"""Direct messages in the web client (Debian's Chromium driven by Playwright): a message started
from a profile's "Message" button reaches the other side live (the unread dot), the Direct
messages screen lists it, opening it shows its thread and marks it read, and the reply, direct
too, comes back to the first side's list, where removing it leaves the other side's alone."""

from __future__ import annotations

import pytest

from tests.helpers import Api, User
from tests.helpers.browser import ARTIFACTS, CHROMIUM, new_context

if not CHROMIUM.exists():
    pytest.skip("Chromium not installed: the browser tests need /usr/bin/chromium",
                allow_module_level=True)
try:
    from playwright.async_api import Browser, Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)


async def signed_in(browser: Browser, api: Api, user: User) -> tuple[Page, list[str]]:
    """A page of the web client signed in with the user's token (as the sign-in leaves it)."""
    page = await (await new_context(browser)).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(api.stack.base_url)
    await page.evaluate("token => localStorage.setItem('hubbub.token', token)", user.token)
    await page.reload()
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()
    return page, errors


async def test_start_read_and_answer_a_direct_message(browser: Browser, api: Api) -> None:
    base = api.stack.base_url
    alice, bob = await api.user(), await api.user()
    alice_page, alice_errors = await signed_in(browser, api, alice)
    bob_page, bob_errors = await signed_in(browser, api, bob)
    await expect(bob_page.get_by_role("link", name="Direct messages", exact=True)).to_be_visible()

    # Alice starts one from Bob's profile: the composer comes addressed and direct.
    await alice_page.goto(f"{base}/@{bob.username}")
    await alice_page.get_by_role("button", name="Message", exact=True).click()
    dialog = alice_page.get_by_role("dialog", name="New direct message")
    text = dialog.get_by_role("combobox", name="What do you want to say?")
    await expect(text).to_have_value(f"@{bob.username} ")
    await expect(dialog.get_by_role("combobox", name="Who can see this")).to_have_value("direct")
    await text.press_sequentially("lunch at noon?")
    await dialog.get_by_role("button", name="Send", exact=True).click()
    await expect(dialog).to_be_hidden()

    # Bob's dot comes live; his list shows it unread; opening it shows the thread, read.
    unread = bob_page.get_by_role("link", name="Direct messages, unread")
    await expect(unread).to_be_visible()
    await unread.click()
    await expect(bob_page.get_by_role("heading", name="Direct messages")).to_be_visible()
    item = bob_page.get_by_role("button", name=f"{alice.username}, unread: ")
    await expect(item).to_contain_text("lunch at noon?")
    await bob_page.screenshot(path=ARTIFACTS / "direct-messages.png")
    await item.click()
    await expect(bob_page.get_by_role("heading", name="Thread")).to_be_visible()
    await expect(bob_page.get_by_role("article").filter(has_text="lunch at noon?")).to_be_visible()
    await expect(bob_page.get_by_role("link", name="Direct messages", exact=True)).to_be_visible()

    # His reply stays direct, and comes back to Alice's list, unread.
    reply = bob_page.get_by_role("form", name="Reply")
    await expect(reply.get_by_role("combobox", name="Who can see this")).to_have_value("direct")
    await reply.get_by_role("combobox", name="What do you want to say?").press_sequentially(
        "yes, see you there")
    await reply.get_by_role("button", name="Reply").click()
    await alice_page.get_by_role("link", name="Direct messages, unread").click()
    mine = alice_page.get_by_role("button", name=f"{bob.username}, unread: ")
    await expect(mine).to_contain_text("yes, see you there")

    # Removing it takes it off her list only.
    await alice_page.get_by_role(
        "button", name=f"Remove the conversation with {bob.username} from your list").click()
    await expect(alice_page.get_by_text("No direct messages yet")).to_be_visible()
    await bob_page.goto(f"{base}/web/conversations")
    await expect(bob_page.get_by_role("button", name=f"{alice.username}: ")).to_be_visible()
    assert alice_errors == [] and bob_errors == []
