"""Fixtures of the media storage tests: a real S3 server (SeaweedFS) for the whole session, and
each back end opened on it or on a folder of the test's.

Other tests may reuse the server: import ``s3_server`` from here into their conftest (or start
one with tests/helpers/s3_server.py's ``running``)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.media.storage import MediaStorage, open_storage
from shared.settings import Settings
from tests.helpers.s3_server import S3Server, running


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with running(Path(tempfile.mkdtemp(prefix="hubbub-s3-"))) as server:
        yield server


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
