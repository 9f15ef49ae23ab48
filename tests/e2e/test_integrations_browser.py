"""A community's Feeds & integrations tab in the web client (Chromium, as test_browser.py): its
owner adds a feed and sees the feed's error, makes an incoming webhook whose URL is shown once
(and works), and deletes it; a plain member sees no such tab."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import Api
from tests.helpers.browser import CHROMIUM, signed_in
from tests.helpers.communities import join
from tests.helpers.inbound_feeds import another_poller, owned_community, poller_paused

if not CHROMIUM.exists():
    pytest.skip("Chromium not installed: the browser tests need /usr/bin/chromium",
                allow_module_level=True)
try:
    from playwright.async_api import Browser, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)


async def test_an_owner_manages_feeds_and_webhooks(browser: Browser, api: Api) -> None:
    owner, community = await owned_community(api)
    page = await signed_in(browser, api.stack.base_url, owner)
    await page.goto(f"{api.stack.base_url}/web/communities/{community['id']}")
    await page.get_by_role("link", name="Feeds & integrations").click()
    panel = page.locator("section.integrations")
    await expect(panel.get_by_text("No feeds yet")).to_be_visible()
    async with poller_paused(api):
        await panel.get_by_label("Feed URL").fill("http://10.1.2.3/feed.xml")
        await panel.get_by_role("button", name="Add feed").click()
        await expect(panel.get_by_text("http://10.1.2.3/feed.xml")).to_be_visible()
        await another_poller(api).poll_due()
    await page.reload()
    await expect(page.locator("section.integrations").get_by_text("Last error: refused")
                 ).to_be_visible()

    panel = page.locator("section.integrations")
    await panel.get_by_label("Webhook name").fill("CI builds")
    await panel.get_by_role("button", name="Create webhook").click()
    secret = panel.locator("input.integration-secret")
    await expect(secret).to_be_visible()
    url = await secret.input_value()
    assert "/api/hubbub/v1/hooks/" in url
    async with httpx.AsyncClient() as client:
        r = await client.post(url, json={"text": "Deployed from CI"})
    assert r.status_code == 200, r.text
    await page.reload()
    panel = page.locator("section.integrations")
    await expect(panel.get_by_text("CI builds")).to_be_visible()
    assert await panel.locator("input.integration-secret").count() == 0  # shown once
    await panel.get_by_role("button", name="Delete webhook CI builds").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    await expect(panel.get_by_text("No incoming webhooks yet")).to_be_visible()


async def test_a_member_sees_no_integrations_tab(browser: Browser, api: Api) -> None:
    _, community = await owned_community(api)
    member = await api.user()
    await join(api, member, community)
    page = await signed_in(browser, api.stack.base_url, member)
    await page.goto(f"{api.stack.base_url}/web/communities/{community['id']}")
    await expect(page.get_by_role("link", name="Members")).to_be_visible()
    assert await page.get_by_role("link", name="Feeds & integrations").count() == 0
