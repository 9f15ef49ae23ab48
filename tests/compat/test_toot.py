"""toot, the Mastodon command-line client, unmodified, against the test stack's gateway (issue
#17): its own commands, run as a person runs them (a subprocess with its configuration in a
temporary folder), sign in by the browser code and by password, post, follow, read the home
timeline and list notifications.

toot sends no PKCE challenge and its ``login_cli`` uses the password grant: the network's admin
trusts its app first (services/gateway/application/oauth_trust.py), as for Mastodon.py."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers import Api, User, other_domain
from tests.helpers.oauth import csrf

TOOT = str(Path(sys.executable).with_name("toot"))
NETWORK = "/api/hubbub/v1/network"


class Toot:
    """toot with its own configuration folder (``XDG_CONFIG_HOME``)."""

    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "XDG_CONFIG_HOME": str(home)}

    async def start(self, *args: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            TOOT, "--no-color", *args, env=self.env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

    async def __call__(self, *args: str) -> str:
        process = await self.start(*args)
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, (args, out.decode(), err.decode())
        return out.decode()

    async def json(self, *args: str) -> Any:
        return json.loads(await self(*args, "--json"))


async def log_in_by_code(api: Api, toot: Toot, admin: User, person: User) -> None:
    """``toot login``: it prints the sign-in URL and asks for the code the page shows. The
    admin trusts the app it registered (its client_id is in the URL) before the person signs
    in."""
    process = await toot.start("login", "--instance", str(api.client.base_url))
    assert process.stdout is not None and process.stdin is not None
    url = ""
    while not url.startswith("http"):
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        assert line, "toot ended before printing the login URL"
        url = line.decode().strip()
    client_id = parse_qs(urlsplit(url).query)["client_id"][0]
    r = await api.client.patch(NETWORK, headers=admin.headers,
                               json={"password_grant_apps": [client_id]})
    assert r.status_code == 200, r.text
    page = await api.client.get(url)
    assert page.status_code == 200, page.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    shown = await api.client.post("/oauth/authorize", data={
        **hidden, "csrf": csrf(page), "login": person.email, "password": person.password,
        "decision": "allow"})
    found = re.search(r'<output class="auth-code"[^>]*>([^<]+)</output>', shown.text)
    assert shown.status_code == 200 and found, shown.text
    # "Open link in default browser? [Y/n]": no; then the code.
    out, err = await asyncio.wait_for(process.communicate(f"n\n{found.group(1)}\n".encode()), 30)
    assert process.returncode == 0, (out.decode(), err.decode())
    assert "Successfully logged in" in out.decode()


async def test_toot_signs_in_posts_follows_reads_and_lists_notifications(
        api: Api, tmp_path: Path) -> None:
    domain = other_domain()
    admin, alice, bob = (await api.user(domain=domain), await api.user(domain=domain),
                         await api.user(domain=domain))
    toot = Toot(tmp_path)

    await log_in_by_code(api, toot, admin, alice)
    me = await toot.json("whoami")
    assert (me["id"], me["username"]) == (alice.id, alice.username)
    # Bob by password, with the same (trusted) app: toot now holds two accounts.
    out = await toot("login_cli", "--instance", str(api.client.base_url),
                     "--email", bob.email, "--password", bob.password)
    assert "Successfully logged in" in out
    config = json.loads((tmp_path / "toot" / "config.json").read_text())
    users = {u["username"]: uid for uid, u in config["users"].items()}
    as_alice, as_bob = users[alice.username], users[bob.username]
    assert config["active_user"] == as_bob

    out = await toot("--as", as_bob, "follow", alice.username)
    assert f"now following {alice.username}" in out
    await api.idle()

    posted = await toot.json("post", "--using", as_alice, f"Hello from toot, @{bob.username}")
    assert posted["account"]["id"] == alice.id
    reply = await toot.json("post", "--using", as_bob, "--reply-to", posted["id"], "Hi!")
    assert reply["in_reply_to_id"] == posted["id"]
    await api.idle()

    home = await toot.json("--as", as_bob, "timelines", "home", "--no-pager", "--no-clear",
                           "--limit", "10")
    assert posted["id"] in [s["id"] for s in home]
    text = await toot("--as", as_bob, "timelines", "home", "--no-pager", "--no-clear")
    assert "Hello from toot" in text

    notifications = await toot.json("--as", as_alice, "notifications")
    assert {"follow", "mention"} <= {n["type"] for n in notifications}
    text = await toot("--as", as_alice, "notifications", "--type", "follow")
    assert f"@{bob.username} now follows you" in text

    await toot("--as", as_alice, "delete", posted["id"])
    assert (await api.client.get(f"/api/v1/statuses/{posted['id']}",
                                 headers=bob.headers)).status_code == 404
