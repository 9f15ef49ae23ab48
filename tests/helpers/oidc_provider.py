"""A real OpenID provider for the single sign-on tests: npm's certified ``oidc-provider``, run
by node from tests/oidc/ (``make test`` installs it there with ``npm ci``) on 127.0.0.1, with
one client (the gateway's callback as its redirect URI) and users the test defines."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

FOLDER = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID = "hubbub"
CLIENT_SECRET = "test-client-secret-" + "x" * 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class TestProvider:
    def __init__(self, port: int, process: subprocess.Popen[str]) -> None:
        self.port = port
        self.process = process
        self.issuer = f"http://127.0.0.1:{port}"

    def set_user(self, user_id: str, **claims: Any) -> None:
        """Create or replace a user (``sub`` = ``user_id``) and its claims."""
        r = httpx.put(f"{self.issuer}/test/users/{user_id}", json=claims, timeout=5)
        assert r.status_code == 204, r.text

    def id_tokens(self, **changes: Any) -> None:
        """Alter every ID token from now on (iss, aud, nonce, age, tamper); none: honest."""
        r = httpx.put(f"{self.issuer}/test/id-token", json=changes, timeout=5)
        assert r.status_code == 204, r.text

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@contextlib.contextmanager
def running(redirect_uri: str) -> Iterator[TestProvider]:
    if not (FOLDER / "node_modules" / "oidc-provider").exists():
        raise RuntimeError("tests/oidc/node_modules is missing: run `make test` (or "
                           "`npm ci` in tests/oidc)")
    port = _free_port()
    process = subprocess.Popen(
        ["node", "provider.mjs", str(port), CLIENT_ID, CLIENT_SECRET, redirect_uri],
        cwd=FOLDER, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    provider = TestProvider(port, process)
    try:
        deadline = time.monotonic() + 20
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("ready") or time.monotonic() > deadline:
            raise RuntimeError(f"the test OpenID provider did not start: {line!r}")
        yield provider
    finally:
        provider.stop()
