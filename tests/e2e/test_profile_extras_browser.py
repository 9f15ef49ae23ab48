"""A profile's extras in a real browser (Chromium, as test_browser.py): the hashtags its owner
features, and the profile's menu: a private note only the reader sees, and featuring the
account on the reader's own profile."""

from __future__ import annotations

import pytest

from tests.helpers import Api, other_domain, unique
from tests.helpers.browser import CHROMIUM, signed_in
from tests.helpers.relations import rel

if not CHROMIUM.exists():
    pytest.skip("Chromium not installed: the browser tests need /usr/bin/chromium",
                allow_module_level=True)
try:
    from playwright.async_api import Browser, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)

pytestmark = pytest.mark.usefixtures("mail_drop")


async def test_featured_tags_a_private_note_and_featuring(browser: Browser, api: Api) -> None:
    domain = other_domain()
    owner, reader = await api.user(domain=domain), await api.user(domain=domain)
    tag = unique("t")
    r = await api.client.post("/api/v1/featured_tags", headers=owner.headers, json={"name": tag})
    assert r.status_code == 200
    await api.follow(reader, owner)
    page = await signed_in(browser, api.stack.base_url, reader)
    await page.goto(f"{api.stack.base_url}/@{owner.username}")

    featured = page.get_by_role("list", name="Featured hashtags")
    await expect(featured.get_by_role("link", name=f"#{tag}")).to_be_visible()

    await page.get_by_role("button", name=f"More for {owner.username}").click()
    await page.get_by_role("menuitem", name="Add a note").click()
    await page.get_by_label(f"Your private note about {owner.username}").fill("Runs the offsite")
    await page.get_by_role("button", name="Save note").click()
    await expect(page.locator(".profile-private-note")).to_contain_text("Runs the offsite")
    assert (await rel(api, reader, owner))["note"] == "Runs the offsite"

    await page.get_by_role("button", name=f"More for {owner.username}").click()
    await page.get_by_role("menuitem", name="Feature on profile").click()
    await expect(page.get_by_text("is featured on your profile")).to_be_visible()
    assert (await rel(api, reader, owner))["endorsed"] is True
    await page.get_by_role("button", name=f"More for {owner.username}").click()
    await expect(page.get_by_role("menuitem", name="Stop featuring on profile")).to_be_visible()
