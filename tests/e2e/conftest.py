"""Fixtures of the browser tests: one Chromium per module (Debian's, driven by Playwright; the
tests skip without it) and the mail drop registry (tests/helpers/browser.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers import Api
from tests.helpers.browser import APIS, ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DATA_DIR


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed: the browser tests need /usr/bin/chromium")
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def mail_drop(api: Api) -> None:
    DATA_DIR[api.stack.base_url] = api.stack.settings.data_dir
    APIS[api.stack.base_url] = api
