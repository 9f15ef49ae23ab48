"""Public feeds in the web client (Chromium, as test_browser.py): a member switches on the
feeds of its public posts in Settings and gets their addresses; an external community's owner
switches on the community's, which its other members do not see a switch for."""

from __future__ import annotations

import pytest

from tests.helpers import Api
from tests.helpers.browser import signed_in
from tests.helpers.communities import create, join

try:
    from playwright.async_api import Browser, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)

pytestmark = pytest.mark.usefixtures("mail_drop")


async def test_switching_feeds_on_in_settings_and_in_a_community(browser: Browser,
                                                                  api: Api) -> None:
    base = api.stack.base_url
    owner, member = await api.user(), await api.user()
    community = await create(api, owner, external=True)
    await join(api, member, community)

    page = await signed_in(browser, base, owner)
    await page.goto(f"{base}/web/settings/feeds")
    switch = page.get_by_label("Publish my public posts as feeds")
    await expect(switch).not_to_be_checked()
    await switch.check()
    await expect(page.get_by_role("status")).to_have_text("Public feeds are on.")
    await expect(page.get_by_role("link", name="Atom")).to_have_attribute(
        "href", f"{base}/@{owner.username}.atom")
    r = await api.client.get(f"/@{owner.username}.atom")
    assert r.status_code == 200
    await page.goto(f"{base}/web/communities/{community['id']}")
    community_switch = page.get_by_label("Public feeds of this community")
    await community_switch.check()
    await expect(page.get_by_role("link", name="JSON Feed")).to_be_visible()
    assert (await api.client.get(f"/communities/{community['id']}.json")).status_code == 200
    await community_switch.uncheck()
    await expect(page.get_by_role("status").filter(has_text="Public feeds are off.")
                 ).to_be_visible()
    assert (await api.client.get(f"/communities/{community['id']}.json")).status_code == 404

    theirs = await signed_in(browser, base, member)
    await theirs.goto(f"{base}/web/communities/{community['id']}")
    await expect(theirs.get_by_role("heading", name=community["name"])).to_be_visible()
    await expect(theirs.get_by_label("Public feeds of this community")).to_have_count(0)
