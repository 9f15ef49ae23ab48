"""The web client's Webhooks screen in a real browser (Chromium, as test_browser.py): a network
admin creates a webhook and sees its secret once, pings it, reads the delivery log, and replays a
dead letter once the receiver is back; a community's admin finds its webhooks from the
community's page."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from tests.helpers import Api, other_domain
from tests.helpers import communities as community_helpers
from tests.helpers.browser import signed_in
from tests.helpers.webhook_receiver import running
from tests.helpers.webhooks import wait_until

try:
    from playwright.async_api import Browser, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)


async def test_an_admin_creates_pings_and_replays_a_webhook(browser: Browser, api: Api) -> None:
    admin = await api.user(domain=other_domain())
    page = await signed_in(browser, api.stack.base_url, admin)
    async with running() as receiver:
        url = receiver.url("ui", *([500] * 100))
        await page.goto(f"{api.stack.base_url}/web/admin/webhooks")
        await page.get_by_label("Receiver URL").fill(url)
        await page.get_by_label("Post created").check()
        await page.get_by_role("button", name="Create webhook").click()
        secret_box = page.get_by_label(f"Signing secret for {url}")
        await expect(secret_box).to_be_visible()
        secret = await secret_box.input_value()
        assert secret.startswith("whsec_")
        await expect(page.get_by_role("list", name="Webhooks")).to_contain_text(url)

        await api.post(admin, "For the partners")
        hooks = (await api.client.get("/api/hubbub/v1/webhooks", headers=admin.headers)).json()
        await wait_until(api, admin, hooks[0], state="dead")

        receiver.answer("ui")  # back up
        await page.get_by_role("button", name=f"Dead letters of {url}").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog.get_by_role("list", name="Dead letters")).to_contain_text(
            "status.created · dead")
        await dialog.get_by_role("button", name="Replay delivery").first.click()
        await expect(dialog.locator(".admin-status")).to_contain_text("sent again")
        got = receiver.of("ui")[-1]
        assert got.answered == 200
        Webhook(secret).verify(got.body, got.headers)
        await page.keyboard.press("Escape")

        await page.get_by_role("button", name=f"Send a test event to {url}").click()
        await expect(page.locator(".admin-status").first).to_contain_text("Ping delivered")
        assert receiver.of("ui")[-1].payload["type"] == "ping"


async def test_a_community_admin_finds_its_webhooks(browser: Browser, api: Api) -> None:
    domain = other_domain()
    await api.user(domain=domain)  # the network's owner
    community_admin = await api.user(domain=domain)
    community = await community_helpers.create(api, community_admin)
    page = await signed_in(browser, api.stack.base_url, community_admin)
    await page.goto(f"{api.stack.base_url}/web/communities/{community['id']}")
    await page.get_by_role("link", name="Webhooks").click()
    await expect(page.get_by_role("heading", name="Community webhooks")).to_be_visible()
    await expect(page.get_by_role("list", name="Webhooks")).to_contain_text("No webhooks yet")
    await expect(page.get_by_label("Follow (network only)")).to_have_count(0)
