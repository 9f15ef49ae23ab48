from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers.webhook_receiver import WebhookReceiver, running


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with running() as found:
        yield found
