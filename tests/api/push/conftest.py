from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers import Api
from tests.helpers.push_receiver import PushReceiver, running


@pytest.fixture
async def receiver(api: Api) -> AsyncIterator[PushReceiver]:
    async with running(api.stack.gateway.vapid_public_key) as found:
        yield found
