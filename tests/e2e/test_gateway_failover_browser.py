"""A client whose gateway dies reconnects its stream to another gateway and catches up.

Two gateways serve the same stack (tests/helpers ``second_gateway``). The reader's page streams
through the first; the test plays the load balancer in front of them with Playwright's
WebSocket routing: it closes the page's socket as the dying gateway would (1012, going away),
and sends the reconnect to the second gateway. A post written in the gap arrives by the web
client's catch-up (``since_id``, services/gateway/web/js/stream.js), and later posts live
through the second gateway."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import Api, second_gateway
from tests.helpers.browser import CHROMIUM, signed_in

if not CHROMIUM.exists():
    pytest.skip("Chromium not installed: the browser tests need /usr/bin/chromium",
                allow_module_level=True)
try:
    from playwright.async_api import Browser, WebSocketRoute, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)

from websockets.asyncio.client import connect

pytestmark = pytest.mark.usefixtures("mail_drop")


async def _until(condition: Callable[[], bool], timeout: float = 8.0) -> None:
    """The page's reconnect waits out its backoff (about a second) before it comes."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def test_a_client_whose_gateway_dies_reconnects_to_another_and_catches_up(
        browser: Browser, api: Api) -> None:
    author, reader = await api.user(), await api.user()
    r = await api.client.post(f"/api/v1/accounts/{author.id}/follow", headers=reader.headers)
    assert r.status_code == 200
    await api.post(author, "Before the gateway died")
    await api.idle()

    async with second_gateway(api.stack) as (other_base, _gateway):
        page = await signed_in(browser, api.stack.base_url, reader)
        articles = page.get_by_role("article")
        await expect(articles.first).to_contain_text("Before the gateway died")

        routes: list[WebSocketRoute] = []
        pumps: list[asyncio.Task[Any]] = []
        upstreams: list[Any] = []
        gap_written = asyncio.Event()
        first_sent: list[str | bytes] = []

        def forward(server: WebSocketRoute, message: str | bytes) -> None:
            first_sent.append(message)
            server.send(message)

        async def balance(ws: WebSocketRoute) -> None:
            routes.append(ws)
            if len(routes) == 1:
                server = ws.connect_to_server()  # the first gateway, the stack's own
                ws.on_message(lambda message: forward(server, message))
                return
            # The first is gone: the balancer sends the reconnect to the other gateway, once the
            # post written in the gap was delivered live (to no one): it comes by catch-up only.
            await gap_written.wait()
            url = other_base.replace("http://", "ws://") + "/api/v1/streaming"
            upstream = await connect(url, subprotocols=ws.protocols,  # type: ignore[arg-type]
                                     proxy=None)
            upstreams.append(upstream)
            ws.on_message(lambda message: pumps.append(
                asyncio.create_task(upstream.send(message))))

            async def down() -> None:
                async for message in upstream:
                    ws.send(message)

            pumps.append(asyncio.create_task(down()))

        await page.route_web_socket("**/api/v1/streaming", balance)
        # The socket opened before the routing: drop it so the page's next one is routed.
        await page.evaluate("window.hubbubStream.drop()")
        # A post written before the page's subscribe reached the gateway would come by neither
        # way (live nor the reconnect's catch-up, which may have run before it): wait for it.
        await _until(lambda: any("subscribe" in str(m) for m in first_sent))
        await asyncio.sleep(0.5)  # the gateway's subscription to the bus
        await api.post(author, "Live through the first gateway")
        await expect(articles.first).to_contain_text("Live through the first gateway")

        # The first gateway dies with the page's socket open.
        await routes[0].close(code=1012, reason="gateway going away")
        await api.post(author, "Written while its gateway was dying")
        await api.idle()
        gap_written.set()
        await _until(lambda: len(routes) == 2)
        await expect(articles.first).to_contain_text("Written while its gateway was dying",
                                                     timeout=8000)
        assert await articles.filter(has_text="Written while its gateway was dying").count() == 1

        # And the stream goes on through the other gateway.
        await api.post(author, "Live through the second gateway")
        await expect(articles.first).to_contain_text("Live through the second gateway")
        for task in pumps:
            task.cancel()
        for upstream in upstreams:
            with contextlib.suppress(Exception):
                await upstream.close()
        await page.context.close()
