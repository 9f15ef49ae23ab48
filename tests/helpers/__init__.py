"""A small client for the tests: register apps and users, call the API as them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.helpers.mail_drop import messages_to, wait_for_mail


def unique(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def other_domain() -> str:
    """A domain no other test uses: its users are a network of their own."""
    return f"{unique('d')}.test"


@dataclass
class User:
    id: str
    username: str
    email: str
    token: str
    password: str = "correct horse battery"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    def __init__(self, client: httpx.AsyncClient, stack: Any) -> None:
        self.client = client
        self.stack = stack
        self._app: dict[str, Any] | None = None
        self._app_token: str | None = None

    async def app(self) -> dict[str, Any]:
        if self._app is None:
            r = await self.client.post("/api/v1/apps", data={
                "client_name": "tests", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": "read write follow push profile admin:read admin:write"})
            assert r.status_code == 200, r.text
            self._app = r.json()
        return self._app

    async def app_token(self) -> str:
        if self._app_token is None:
            app = await self.app()
            r = await self.client.post("/oauth/token", data={
                "grant_type": "client_credentials", "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "scope": "read write follow push profile admin:read admin:write"})
            assert r.status_code == 200, r.text
            self._app_token = r.json()["access_token"]
        return self._app_token

    async def user(self, name: str | None = None, domain: str = "acme.test") -> User:
        """A member of the domain's network, signed up with an invitation (the stack makes the
        network for a domain's first user, who becomes its owner: its admin)."""
        username = name or unique()
        email = f"{username}@{domain}"
        code = await self.stack.invitation_for(domain, email)
        r = await self.client.post(
            "/api/v1/accounts", headers={"Authorization": f"Bearer {await self.app_token()}"},
            json={"username": username, "email": email, "password": "correct horse battery",
                  "agreement": True, "invite_code": code})
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        me = await self.client.get("/api/v1/accounts/verify_credentials",
                                   headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        return User(id=me.json()["id"], username=username, email=email, token=token)

    async def sign_up(self, username: str, email: str, **fields: Any) -> httpx.Response:
        """A plain sign-up through the API (no invitation): unconfirmed until its link."""
        return await self.client.post(
            "/api/v1/accounts", headers={"Authorization": f"Bearer {await self.app_token()}"},
            json={"username": username, "email": email, "password": "correct horse battery",
                  "agreement": True, **fields})

    def mails_to(self, address: str) -> list[EmailMessage]:
        """What the stack mailed to ``address`` so far (it has no SMTP: notify writes each
        message under its data folder, as for a local trial)."""
        return messages_to(self.stack.settings.data_dir, address)

    async def next_mail(self, address: str, *, after: int = 0,
                        containing: str | None = None) -> EmailMessage:
        return await wait_for_mail(self.stack.settings.data_dir, address, after=after,
                                   containing=containing)

    async def confirm(self, link: str) -> httpx.Response:
        """Follow a confirmation link as a person does: open the page, press its button."""
        page = await self.client.get(link)
        assert page.status_code == 200, page.text
        token = parse_qs(urlsplit(link).query)["confirmation_token"][0]
        return await self.client.post("/auth/confirmation", data={"confirmation_token": token})

    async def allow_password_grant(self, admin: User) -> None:
        """Let the tests' app use the password grant in the admin's network: refused unless
        an admin lists the app."""
        app = await self.app()
        r = await self.client.patch("/api/hubbub/v1/network", headers=admin.headers,
                                    json={"password_grant_apps": [app["client_id"]]})
        assert r.status_code == 200, r.text

    async def follow(self, follower: User, followee: User) -> dict[str, Any]:
        r = await self.client.post(f"/api/v1/accounts/{followee.id}/follow",
                                   headers=follower.headers)
        assert r.status_code == 200, r.text
        return r.json()

    async def post(self, author: User, text: str, **fields: Any) -> dict[str, Any]:
        r = await self.client.post("/api/v1/statuses", headers=author.headers,
                                   json={"status": text, **fields})
        assert r.status_code == 200, r.text
        return r.json()

    async def home(self, user: User, **params: Any) -> httpx.Response:
        r = await self.client.get("/api/v1/timelines/home", headers=user.headers, params=params)
        assert r.status_code in (200, 206), r.text
        return r

    async def idle(self) -> None:
        await self.stack.idle()


@asynccontextmanager
async def second_gateway(stack: Any, **changes: Any) -> AsyncIterator[tuple[str, Any]]:
    """Another gateway process's app, on its own port, beside the stack's: yields its base URL
    and its Gateway. ``changes``: settings of its own (e.g. a data folder)."""
    import msgspec
    import uvicorn

    from services.gateway.app import create_app
    from shared.infra import free_port

    port = free_port()
    ports = dict(stack.settings.ports)
    ports["gateway"] = port
    app = create_app(msgspec.structs.replace(stack.settings, ports=ports, **changes))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        while not (server.started and app.state.gateway.ready):
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}", app.state.gateway
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
