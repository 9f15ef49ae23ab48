"""An embedded NATS server runs its Go scheduler on one thread (shared/infra.py ``nats_env``):
it shares the machine with every other server and service. An operator's GOMAXPROCS wins."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import infra


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


@pytest.fixture
def folder() -> Iterator[Path]:
    made = Path(tempfile.mkdtemp(prefix="hubbub-nats-env-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_an_embedded_nats_server_runs_on_one_thread(folder: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOMAXPROCS", raising=False)
    embedded = infra.EmbeddedServers(data_dir=folder, preferred_ports={})
    try:
        embedded.start_nats()
        [server] = embedded.servers
        assert environment_of(server.process.pid)["GOMAXPROCS"] == "1"
    finally:
        embedded.stop()


def test_an_operators_gomaxprocs_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOMAXPROCS", "4")
    assert infra.nats_env()["GOMAXPROCS"] == "4"
    monkeypatch.delenv("GOMAXPROCS")
    assert infra.nats_env()["GOMAXPROCS"] == "1"
