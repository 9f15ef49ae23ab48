from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers import Api
from tests.helpers.push_receiver import PushReceiver


@pytest.fixture
async def receiver(api: Api) -> AsyncIterator[PushReceiver]:
    found = await PushReceiver(api.stack.gateway.vapid_public_key).start()
    try:
        yield found
    finally:
        await found.close()
