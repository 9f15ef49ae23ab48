from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers import Api
from tests.helpers.push_receiver import PushReceiver, running


@pytest.fixture
async def receiver(api: Api) -> AsyncIterator[PushReceiver]:
    instance = (await api.client.get("/api/v2/instance")).json()
    async with running(instance["configuration"]["vapid"]["public_key"]) as found:
        yield found
