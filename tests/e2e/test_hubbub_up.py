"""`hubbub up` as a user runs it: a real subprocess with embedded servers, driven over HTTP and
WebSocket, stopped with Ctrl-C (SIGINT), leaving no process behind; a second run keeps the data.
Its people get in as they would on a fresh install: the operator makes the network with
`hubbub network create` (the first-run setup page is open until then), its owner accepts the
printed invitation, and the others sign up and follow the link in the mail `hubbub up` drops in
its data folder (no SMTP configured).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest
from websockets.asyncio.client import connect

from shared.infra import free_port
from tests.helpers.mail_drop import link_in, wait_for_mail

ROOT = Path(__file__).resolve().parents[2]


class HubbubUp:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.log = data_dir / "up.log"
        self.descendants: set[int] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUBBUB_")}
        env.update({"HUBBUB_DATA_DIR": str(self.data_dir), "HUBBUB_PORT": str(self.port),
                    "HUBBUB_POSTS_PORT": "0", "HUBBUB_GRAPH_PORT": "0",
                    "HUBBUB_FANOUT_PORT": "0", "HUBBUB_NOTIFY_PORT": "0"})
        return env

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "up"], cwd=ROOT, env=self.env,
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def create_network(self, domain: str, admin: str) -> str:
        """`hubbub network create`, as the operator runs it beside the running `hubbub up`
        (same data folder): the owner's invitation code, from the link it prints."""
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", "network", "create", domain, "--admin", admin,
             "--name", "E2E"], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stdout + done.stderr
        links = [word for word in done.stdout.split() if "/invite/" in word]
        assert len(links) == 1, done.stdout
        return links[0].rsplit("/invite/", 1)[1]

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc and self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError("hubbub up not ready:\n" + self.log.read_text()[-3000:])
        # Every service answers before we drive the path.
        while "hubbub: ready at" not in self.log.read_text():
            time.sleep(0.2)
        self.remember_descendants()

    def remember_descendants(self) -> None:
        assert self.proc is not None
        parent = psutil.Process(self.proc.pid)
        self.descendants |= {p.pid for p in parent.children(recursive=True)}

    def interrupt(self, timeout: float = 60) -> int:
        assert self.proc is not None
        self.remember_descendants()
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout)

    def leftovers(self) -> list[str]:
        alive = []
        for pid in self.descendants:
            try:
                p = psutil.Process(pid)
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{pid} {' '.join(p.cmdline())[:120]}")
            except psutil.NoSuchProcess:
                pass
        return alive

    def kill_all(self) -> None:
        for pid in list(self.descendants) + ([self.proc.pid] if self.proc else []):
            try:
                psutil.Process(pid).kill()
            except psutil.NoSuchProcess:
                pass


UNCONFIRMED = {"error": "Your login is missing a confirmed e-mail address"}


async def set_up_network(up: HubbubUp) -> str:
    """Until a network exists, the first-run setup page is open with its code in the data
    folder; the operator makes one with the CLI instead, and the page closes."""
    async with httpx.AsyncClient(base_url=up.base_url, timeout=20) as c:
        assert (up.data_dir / "secrets" / "setup-code").read_text().strip()
        assert (await c.get("/setup")).status_code == 200
        code = await asyncio.to_thread(up.create_network, "e2e.test", "alice@e2e.test")
        assert (await c.get("/setup")).status_code == 404
        return code


async def confirm_by_mail(c: httpx.AsyncClient, data_dir: Path, email: str) -> None:
    """Follow the link in the confirmation mail `hubbub up` dropped under its data folder: the
    page it opens, then its button (the form's POST)."""
    link = link_in(await wait_for_mail(data_dir, email, timeout=60))
    page = await c.get(link)
    assert page.status_code == 200, page.text
    token = httpx.URL(link).params["confirmation_token"]
    done = await c.post("/auth/confirmation", data={"confirmation_token": token})
    assert done.status_code == 200, done.text


async def drive_first_path(up: HubbubUp, owner_code: str) -> dict:
    base_url = up.base_url
    async with httpx.AsyncClient(base_url=base_url, timeout=20) as c:
        assert (await c.get("/api/v1/instance")).status_code == 200
        assert (await c.get("/api/v2/instance")).status_code == 200
        app = (await c.post("/api/v1/apps", data={
            "client_name": "e2e", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow admin:write"})).json()
        creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
        app_token = (await c.post("/oauth/token", data={
            **creds, "grant_type": "client_credentials",
            "scope": "read write follow admin:write"})).json()
        tokens = {}
        for name in ("alice", "bob"):
            # Alice accepts the operator's invitation (the network's owner, a member at once);
            # Bob signs up plainly and is a member once he follows the mailed link.
            invited = {"invite_code": owner_code} if name == "alice" else {}
            r = await c.post("/api/v1/accounts", json={
                "username": name, "email": f"{name}@e2e.test", "password": "correct horse",
                "agreement": True, **invited},
                headers={"Authorization": f"Bearer {app_token['access_token']}"})
            assert r.status_code == 200, r.text
            signed_up = {"Authorization": f"Bearer {r.json()['access_token']}"}
            if name == "bob":
                early = await c.get("/api/v1/accounts/verify_credentials", headers=signed_up)
                assert (early.status_code, early.json()) == (403, UNCONFIRMED)
                await confirm_by_mail(c, up.data_dir, "bob@e2e.test")
            me = await c.get("/api/v1/accounts/verify_credentials", headers=signed_up)
            assert me.status_code == 200, me.text
            if name == "alice":  # the network's owner, its admin, allows the grant
                allowed = await c.patch("/api/hubbub/v1/network", json={
                    "password_grant_apps": [app["client_id"]]},
                    headers=signed_up)
                assert allowed.status_code == 200, allowed.text
            r = await c.post("/oauth/token", data={
                **creds, "grant_type": "password", "username": f"{name}@e2e.test",
                "password": "correct horse", "scope": "read write follow"})
            assert r.status_code == 200, r.text
            tokens[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        alice = (await c.get("/api/v1/accounts/verify_credentials",
                             headers=tokens["alice"])).json()
        r = await c.post(f"/api/v1/accounts/{alice['id']}/follow", headers=tokens["bob"])
        assert r.json()["following"] is True

        ws_url = base_url.replace("http://", "ws://") + "/api/v1/streaming"
        async with connect(ws_url, additional_headers=tokens["bob"], proxy=None) as ws:
            await ws.send(json.dumps({"type": "subscribe", "stream": "user"}))
            await asyncio.sleep(0.3)
            status = (await c.post("/api/v1/statuses", headers=tokens["alice"],
                                   json={"status": "hello @bob from hubbub up"})).json()
            seen = set()
            while seen != {"update", "notification"}:
                event = json.loads(await asyncio.wait_for(ws.recv(), 10))
                seen.add(event["event"])
                if event["event"] == "update":
                    assert json.loads(event["payload"])["id"] == status["id"]

        for _ in range(100):  # fanout is asynchronous: the timeline fills within moments
            home = await c.get("/api/v1/timelines/home", headers=tokens["bob"])
            if home.json():
                break
            await asyncio.sleep(0.1)
        assert [s["id"] for s in home.json()] == [status["id"]]
        assert "link" in home.headers
        for _ in range(100):
            notes = (await c.get("/api/v1/notifications", headers=tokens["alice"])).json()
            if notes:
                break
            await asyncio.sleep(0.1)
        assert [n["type"] for n in notes] == ["follow"]
        return {"status_id": status["id"], "creds": creds}


async def read_back(base_url: str, saved: dict) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=20) as c:
        r = await c.post("/oauth/token", data={
            **saved["creds"], "grant_type": "password", "username": "bob@e2e.test",
            "password": "correct horse", "scope": "read"})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = await c.get(f"/api/v1/statuses/{saved['status_id']}", headers=headers)
        assert r.status_code == 200, r.text
        assert "hello" in r.json()["content"]


@pytest.mark.timeout(300)
async def test_hubbub_up_serves_the_path_and_stops_cleanly() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="hubbub-up-"))
    port = free_port()
    up = HubbubUp(data_dir, port)
    try:
        up.start()
        await asyncio.to_thread(up.wait_ready)
        assert len(up.descendants) >= 8  # three servers and five services (and their kids)
        owner_code = await set_up_network(up)
        saved = await drive_first_path(up, owner_code)
        assert await asyncio.to_thread(up.interrupt) == 0
        await asyncio.sleep(0.5)
        assert up.leftovers() == [], up.log.read_text()[-2000:]

        # A second run over the same data keeps accounts and posts.
        again = HubbubUp(data_dir, port)
        up = again
        again.start()
        await asyncio.to_thread(again.wait_ready)
        await read_back(again.base_url, saved)
        assert await asyncio.to_thread(again.interrupt) == 0
        await asyncio.sleep(0.5)
        assert again.leftovers() == []
    finally:
        up.kill_all()
        shutil.rmtree(data_dir, ignore_errors=True)
