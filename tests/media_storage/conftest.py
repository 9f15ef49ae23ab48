"""Fixtures of the media storage tests: each back end opened on the session's S3 server
(``s3_server``, tests/conftest.py) or on a folder of the test's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.media.storage import MediaStorage, open_storage
from shared.settings import Settings
from tests.helpers.s3_server import S3Server


def local_settings(folder: Path) -> Settings:
    return Settings(data_dir=str(folder), public_url="http://files.test")


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings of each back end: a fresh folder for local, the session's bucket for S3."""
    if request.param == "local":
        return local_settings(tmp_path)
    server: S3Server = request.getfixturevalue("s3_server")
    return server.settings(local_settings(tmp_path))


@pytest.fixture
async def storage(backend: Settings) -> AsyncIterator[MediaStorage]:
    opened = open_storage(backend)
    try:
        yield opened
    finally:
        await opened.close()
