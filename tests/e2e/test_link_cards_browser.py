"""Link preview cards in the web client (Chromium, as test_browser.py): a post linking a page
shows the page's title, description and site under it, as a link to the page, with no
third-party picture."""

from __future__ import annotations

import pytest

from tests.helpers import Api
from tests.helpers.browser import CHROMIUM, signed_in
from tests.helpers.link_pages import LinkPages

if not CHROMIUM.exists():
    pytest.skip("Chromium not installed: the browser tests need /usr/bin/chromium",
                allow_module_level=True)
try:
    from playwright.async_api import Browser, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)


async def test_a_linked_page_shows_as_a_card(browser: Browser, api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    with LinkPages() as site:
        url = site.url("/page/roadmap")
        await api.post(author, f"Our plan: {url}")
        await api.idle()
    page = await signed_in(browser, api.stack.base_url, reader)
    card = page.locator("article.status a.link-card")
    await expect(card).to_be_visible()
    await expect(card).to_contain_text("Title roadmap")
    await expect(card).to_contain_text("About roadmap")
    await expect(card).to_contain_text("Link pages")
    assert await card.get_attribute("href") == url
    assert "noopener" in (await card.get_attribute("rel") or "")
    assert await card.locator("img").count() == 0
