"""A real Valkey Cluster (3 primaries, 1 replica each: shared/infra_valkey_cluster.py) for the
module's tests, under a temporary folder; ~2-3 s to start."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.infra import EmbeddedServers
from shared.infra_valkey_cluster import start_valkey_cluster
from shared.settings import Settings


@pytest.fixture(scope="module")
def valkey_cluster() -> Iterator[tuple[EmbeddedServers, Settings]]:
    folder = Path(tempfile.mkdtemp(prefix="hubbub-valkey-cluster-"))
    embedded = EmbeddedServers(folder.resolve())
    try:
        seed = start_valkey_cluster(embedded)
        yield embedded, Settings(redis_url=seed, redis_cluster=True, data_dir=str(folder),
                                 service_redis_urls=embedded.redis_urls)
    finally:
        embedded.stop()
        shutil.rmtree(folder, ignore_errors=True)
