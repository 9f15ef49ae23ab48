"""Scheduled posts in the web client (Chromium, as test_browser.py): the composer's "Schedule"
button opens a date-time field and the post is scheduled, not posted; the "Scheduled" screen
lists it, moves it to another time and cancels it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import Api, User
from tests.helpers.browser import ARTIFACTS, CHROMIUM, signed_in

if not CHROMIUM.exists():
    pytest.skip("Chromium not installed: the browser tests need /usr/bin/chromium",
                allow_module_level=True)
try:
    from playwright.async_api import Browser, Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)

# A datetime-local value this many hours from now, in the browser's own time zone.
LOCAL_IN_HOURS = """(hours) => {
  const d = new Date(Date.now() + hours * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
    + `T${p(d.getHours())}:${p(d.getMinutes())}`;
}"""


async def scheduled(api: Api, user: User) -> list[dict]:
    r = await api.client.get("/api/v1/scheduled_statuses", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def hours_ahead(item: dict) -> float:
    at = dt.datetime.fromisoformat(item["scheduled_at"])
    return (at - dt.datetime.now(dt.UTC)).total_seconds() / 3600


async def test_schedule_reschedule_and_cancel_in_the_browser(browser: Browser, api: Api) -> None:
    user = await api.user()
    ARTIFACTS.mkdir(exist_ok=True)
    page: Page = await signed_in(browser, api.stack.base_url, user)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    await page.get_by_role("combobox", name="What do you want to say?").fill("see you at noon")
    await page.get_by_role("button", name="Schedule", exact=True).click()
    when = page.get_by_label("Post at")
    await expect(when).to_be_visible()
    await when.fill(await page.evaluate(LOCAL_IN_HOURS, 2))
    await page.screenshot(path=ARTIFACTS / "compose-scheduled.png")
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/statuses")
                                    and r.request.method == "POST") as response:
        await page.get_by_role("button", name="Schedule post").click()
    assert (await response.value).ok
    await expect(page.get_by_role("status").filter(has_text="Scheduled for")).to_be_visible()
    [item] = await scheduled(api, user)
    assert item["params"]["text"] == "see you at noon"
    assert 1.9 < hours_ahead(item) < 2.1
    r = await api.client.get(f"/api/v1/accounts/{user.id}/statuses", headers=user.headers)
    assert r.json() == []  # nothing posted yet

    await page.get_by_role("link", name="Scheduled").click()
    await expect(page.get_by_role("heading", name="Scheduled posts")).to_be_visible()
    entry = page.get_by_role("article", name="Scheduled post")
    await expect(entry).to_contain_text("see you at noon")
    await page.screenshot(path=ARTIFACTS / "scheduled-posts.png")

    await entry.get_by_role("button", name="Reschedule").click()
    dialog = page.get_by_role("dialog", name="Reschedule post")
    await dialog.get_by_label("New time").fill(await page.evaluate(LOCAL_IN_HOURS, 5))
    await dialog.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status").filter(has_text="Rescheduled for")).to_be_visible()
    [item] = await scheduled(api, user)
    assert 4.9 < hours_ahead(item) < 5.1

    await entry.get_by_role("button", name="Cancel post").click()
    await page.get_by_role("dialog", name="Cancel this post?").get_by_role(
        "button", name="Cancel post").click()
    await expect(page.get_by_text("Nothing scheduled")).to_be_visible()
    assert await scheduled(api, user) == []
    assert errors == []
