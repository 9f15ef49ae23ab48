"""Fixtures of the third-party client tests: besides the session's stack (media in its data
folder, served by the gateway's /files), a stack whose media live in S3 (tests/helpers/
s3_stack.py), and ``media_api``, which runs a test on each."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from shared.settings import Settings
from tests.conftest import Stack
from tests.helpers import Api
from tests.helpers.s3_server import S3Server
from tests.helpers.s3_stack import stack_on_s3


@pytest.fixture(scope="module")
async def s3_stack(stack: Stack, settings: Settings, s3_server: S3Server
                   ) -> AsyncIterator[Stack]:
    # ``stack`` first: the worker-id lease must come from the session's servers (s3_stack.py).
    async with stack_on_s3(settings, s3_server) as started:
        yield started


@pytest.fixture
async def s3_api(s3_stack: Stack) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=s3_stack.base_url, timeout=20) as client:
        yield Api(client, s3_stack)


@pytest.fixture(params=["local", "s3"])
def media_api(request: pytest.FixtureRequest) -> Api:
    """The API of a stack with each media back end: the session's (local) or the S3 one."""
    found: Api = request.getfixturevalue("api" if request.param == "local" else "s3_api")
    return found
