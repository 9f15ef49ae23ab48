"""The web client's moderation in a real browser (Chromium, as test_browser.py): a member
reports a colleague from the profile's menu; a moderator finds the report under Network admin →
Moderation, resolves another one, silences the account from the first (which resolves it, as
Mastodon's report_id does), and lifts the silence from the accounts list."""

from __future__ import annotations

import pytest

from tests.helpers import Api, other_domain
from tests.helpers.browser import signed_in

try:
    from playwright.async_api import Browser, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)

pytestmark = pytest.mark.usefixtures("mail_drop")


async def test_a_member_reports_and_a_moderator_acts(browser: Browser, api: Api) -> None:
    base = api.stack.base_url
    domain = other_domain()
    owner = await api.user(domain=domain)
    moderator = await api.user(domain=domain)
    reporter = await api.user(domain=domain)
    target = await api.user(domain=domain)
    r = await api.client.patch(f"/api/hubbub/v1/network/members/{moderator.id}",
                               headers=owner.headers, json={"role": "moderator"})
    assert r.status_code == 200, r.text

    page = await signed_in(browser, base, reporter)
    await page.goto(f"{base}/@{target.username}")
    await page.get_by_role("button", name=f"More for {target.username}").click()
    await page.get_by_role("menuitem", name="Report").click()
    dialog = page.get_by_role("dialog", name=f"Report {target.username}")
    await dialog.get_by_label("Why?").select_option("spam")
    await dialog.get_by_label("Details (optional)").fill("Sells watches in every thread")
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/reports")) as sent:
        await dialog.get_by_role("button", name="Send report").click()
    assert (await sent.value).ok
    await expect(page.get_by_text("your report about")).to_be_visible()

    r = await api.client.post("/api/v1/reports", headers=owner.headers, json={
        "account_id": target.id, "comment": "Rude in the canteen thread"})
    assert r.status_code == 200, r.text

    mod = await signed_in(browser, base, moderator)
    await mod.get_by_role("link", name="Network admin").click()
    await expect(mod.get_by_role("link", name="Moderation")).to_have_attribute(
        "aria-current", "page")
    reports = mod.get_by_role("list", name="Open reports")
    row = reports.get_by_role("listitem").filter(has_text="Sells watches in every thread")
    await expect(row).to_contain_text("Spam")
    await expect(row).to_contain_text(f"@{reporter.username}")
    await mod.screenshot(path="tests/artifacts/admin-moderation.png")
    other = reports.get_by_role("listitem").filter(has_text="Rude in the canteen thread")
    await other.get_by_role("button", name="Resolve").click()
    await expect(mod.locator(".admin-status")).to_contain_text("Report resolved")
    await expect(other).to_have_count(0)
    await row.get_by_role("button", name="Silence").click()
    await expect(mod.locator(".admin-status")).to_contain_text("silenced")
    await expect(reports).to_contain_text("No open reports")

    accounts = mod.get_by_role("list", name="Accounts")
    await mod.get_by_label("Show accounts").select_option("silenced")
    silenced = accounts.get_by_role("listitem").filter(has_text=target.email)
    await expect(silenced).to_contain_text("silenced")
    await silenced.get_by_role("button", name="Unsilence").click()
    await expect(mod.locator(".admin-status")).to_contain_text("heard again")
    r = await api.client.get(f"/api/v1/admin/accounts/{target.id}", headers=moderator.headers)
    assert r.json()["silenced"] is False
