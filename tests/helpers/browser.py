"""What the browser tests (tests/e2e/) share: the Chromium they drive, a page context of the
size the screenshots use, and where each stack's mail drop is (for confirmation links). The
fixtures (``browser``, ``mail_drop``) are in tests/e2e/conftest.py."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

    from tests.helpers import Api, User

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "correct horse battery"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 860}

DATA_DIR: dict[str, str] = {}  # base URL -> the stack's data_dir (its mail drop), per session
APIS: dict[str, Api] = {}


async def new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = await browser.new_context(**{"viewport": DESKTOP, **options})
    context.set_default_timeout(10_000)
    return context


async def signed_in(browser: Browser, base: str, user: User, **options: Any) -> Page:
    """``user`` signed in to the web client with their password (``options``: the browser
    context's)."""
    from playwright.async_api import expect

    page = await (await new_context(browser, **options)).new_page()
    await page.goto(base)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/oauth/authorize?**")
    await page.get_by_label("E-mail or username").fill(user.email)
    await page.get_by_label("Password").fill(user.password)
    await page.get_by_role("button", name="Sign in and allow").click()
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()
    return page
