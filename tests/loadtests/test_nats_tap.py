"""The benchmark's lean NATS subscriber (loadtests/nats_tap.py) against the real server:
messages with and without headers, split across reads, and a subscription in place on return."""

from __future__ import annotations

import asyncio
import time

import nats

from loadtests.nats_tap import tap
from shared.nats_users import operator_url
from tests.helpers import Api


async def test_taps_messages_with_and_without_headers(api: Api) -> None:
    got: list[tuple[bytes, bytes, float]] = []
    listener = await tap(operator_url(api.stack.settings),
                         lambda subject, payload, now: got.append((subject, payload, now)))
    publisher = await nats.connect(operator_url(api.stack.settings))
    try:
        await listener.subscribe("bench.tap.>")
        before = time.time()
        await publisher.publish("bench.tap.plain", b'{"status_id": 1}')
        await publisher.publish("bench.tap.headers", b"x" * 100_000,  # several reads
                                headers={"Nats-Msg-Id": "7"})
        await publisher.publish("elsewhere", b"not for us")
        await publisher.flush()
        for _ in range(100):
            if len(got) >= 2:
                break
            await asyncio.sleep(0.02)
        assert [(s, p) for s, p, _ in got] == [(b"bench.tap.plain", b'{"status_id": 1}'),
                                               (b"bench.tap.headers", b"x" * 100_000)]
        assert all(before <= at <= time.time() for _, _, at in got)
        await listener.flush()  # still in step with the server
    finally:
        await publisher.close()
        await listener.close()
