"""The web client's Filters screen in a real browser (Chromium, as test_browser.py): a reader
adds a filter with keywords, contexts and an action, sees a matching post collapsed as
"Filtered: <title>" and shows it anyway, then deletes the filter."""

from __future__ import annotations

import pytest

from tests.helpers import Api, User, other_domain
from tests.helpers.browser import new_context

try:
    from playwright.async_api import Browser, Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)

pytestmark = pytest.mark.usefixtures("mail_drop")


async def signed_in(browser: Browser, base: str, user: User) -> Page:
    page = await (await new_context(browser)).new_page()
    await page.goto(base)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/oauth/authorize?**")
    await page.get_by_label("E-mail or username").fill(user.email)
    await page.get_by_label("Password").fill(user.password)
    await page.get_by_role("button", name="Sign in and allow").click()
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()
    return page


async def test_a_filter_made_on_the_filters_screen_collapses_matching_posts(
        browser: Browser, api: Api) -> None:
    domain = other_domain()
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    await api.follow(reader, author)
    await api.post(author, "The finale was a surprise")
    await api.post(author, "Lunch at noon")
    await api.idle()
    page = await signed_in(browser, api.stack.base_url, reader)

    await page.get_by_role("link", name="Settings").click()
    await expect(page.get_by_role("link", name="Filters")).to_have_attribute(
        "aria-current", "page")
    await page.get_by_label("Title").fill("Spoilers")
    await page.get_by_label("Keywords").fill("finale\nepisode")
    await page.get_by_label("Profiles").check()
    await page.get_by_label("Warn").check()
    await page.get_by_role("button", name="Add filter").click()
    filters = page.get_by_role("list", name="Your filters")
    await expect(filters).to_contain_text("Spoilers")
    await expect(filters).to_contain_text("finale, episode")
    await page.screenshot(path="tests/artifacts/filters-settings.png")

    await page.get_by_role("link", name="Home").first.click()
    collapsed = page.locator(".filtered-status")
    await expect(collapsed).to_contain_text("Filtered: Spoilers")
    await expect(page.locator("#main")).to_contain_text("Lunch at noon")
    await expect(page.locator("#main")).not_to_contain_text("The finale was a surprise")
    await page.screenshot(path="tests/artifacts/filters-collapsed.png")
    await collapsed.get_by_role("button", name="Show anyway").click()
    await expect(page.locator("#main")).to_contain_text("The finale was a surprise")
    await page.screenshot(path="tests/artifacts/filters-home.png")

    await page.get_by_role("link", name="Settings").click()
    await filters.get_by_role("button", name="Delete filter Spoilers").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    await expect(filters).to_contain_text("No filters yet.")
    r = await api.client.get("/api/v2/filters", headers=reader.headers)
    assert r.json() == []
