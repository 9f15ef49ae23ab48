"""A service that cannot reach its servers at start waits and says not-ready; it does not crash."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import msgspec

from services.fanout.app import FanoutService
from shared.infra import free_port
from shared.settings import Settings


def readyz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


async def test_service_without_nats_retries_and_is_not_ready() -> None:
    port = free_port()
    dead = free_port()  # nothing listens here
    settings = msgspec.structs.replace(
        Settings(nats_url=f"nats://127.0.0.1:{dead}", redis_url=f"redis://127.0.0.1:{dead}"),
        ports={"fanout": port})
    service = FanoutService(settings)
    starting = asyncio.create_task(service.start())
    try:
        await asyncio.sleep(1.5)
        assert not starting.done()  # still retrying, not crashed
        status, body = await asyncio.to_thread(readyz, port)
        assert status == 503
        assert body["checks"]["nats"] is False
        healthz = await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").status)
        assert healthz == 200  # alive, just not ready: an orchestrator must not kill it
    finally:
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await service.health.stop()
