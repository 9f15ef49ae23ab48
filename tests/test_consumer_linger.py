"""A lingering consumer (shared/consumers.py EventConsumer ``linger_s``, graph's status counter):
events published while it lingers reach the handler together, in one pull, and an idle
consumer asks nothing beyond its one long pull."""

from __future__ import annotations

import asyncio

from nats.aio.msg import Msg

from shared import events, subjects
from shared.bus import publish_headers
from shared.compat import nats as nats_compat
from shared.consumers import EventConsumer
from tests.helpers import Api, unique

LINGER_S = 1.0


async def _until(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_a_burst_is_taken_together_and_the_idle_consumer_asks_nothing(api: Api) -> None:
    js, nc = api.stack.js, api.stack.nc
    assert js is not None and nc is not None
    subject = f"hubbub.evt.test.{unique('linger')}"
    durable = unique("linger")
    loop = asyncio.get_running_loop()
    handled: dict[int, float] = {}

    async def handler(event: events.AnyEvent) -> None:
        assert isinstance(event, events.StatusUpdated)
        handled[event.status_id] = loop.time()

    pulls: list[bytes] = []

    async def pulled(msg: Msg) -> None:
        pulls.append(msg.data)

    # Every pull request the consumer sends (JetStream's API subject is a plain subject).
    watch = await nc.subscribe(nats_compat.pull_subject(js, subjects.EVENTS_STREAM, durable),
                               cb=pulled)
    consumer = EventConsumer(js, durable, handler, filter_subjects=[subject], batch=100,
                             concurrency=100, linger_s=LINGER_S)
    await consumer.start()

    async def publish(n: int) -> float:
        event = events.StatusUpdated(status_id=n, account_id=1, visibility="public")
        await js.publish(subject, events.encode(event), headers=publish_headers(event))
        return loop.time()

    try:
        await _until(lambda: len(pulls) >= 1)  # the long pull, waiting
        # The first event of a quiet spell is taken at once.
        sent = await publish(1)
        await _until(lambda: 1 in handled)
        assert handled[1] - sent < LINGER_S
        # The next ones, published over 0.4 s while the consumer lingers, reach the
        # handler together (one pull), not one by one as they come.
        for n in range(2, 22):
            last = await publish(n)
            await asyncio.sleep(0.02)
        await _until(lambda: len(handled) == 21)
        times = [handled[n] for n in range(2, 22)]
        assert max(times) - min(times) < 0.1, times
        assert min(times) >= last - 0.01
        await _until(lambda: not consumer._limit.locked() and consumer._delivered == 21)
        # Idle again: after the pull that found nothing, one long pull, and no polling.
        await asyncio.sleep(LINGER_S * 2 + 0.2)
        asked = len(pulls)
        await asyncio.sleep(1.5)
        assert len(pulls) - asked <= 1, pulls[asked:]
        assert len(handled) == 21
    finally:
        await watch.unsubscribe()
        await consumer.stop()
        await js.delete_consumer(subjects.EVENTS_STREAM, durable)


async def test_a_backlog_drains_without_lingering_between_full_pulls(api: Api) -> None:
    """Events waiting in the stream (a consumer started late, an outage) are taken pull after
    pull while pulls come full: the linger is for events still trickling in, not a cap on the
    rate (with 1 s between pulls of 10, these 41 would take 4 s)."""
    js = api.stack.js
    assert js is not None
    subject = f"hubbub.evt.test.{unique('backlog')}"
    durable = unique("backlog")
    loop = asyncio.get_running_loop()
    handled: list[float] = []

    async def handler(event: events.AnyEvent) -> None:
        handled.append(loop.time())

    consumer = EventConsumer(js, durable, handler, filter_subjects=[subject], batch=10,
                             concurrency=10, linger_s=LINGER_S)
    for n in range(41):
        event = events.StatusUpdated(status_id=n, account_id=1, visibility="public")
        await js.publish(subject, events.encode(event), headers=publish_headers(event))
    started = loop.time()
    await consumer.start()
    try:
        await _until(lambda: len(handled) == 41)
        # The first alone (the long pull), one linger, then four pulls back to back.
        assert max(handled) - started < LINGER_S * 2, max(handled) - started
    finally:
        await consumer.stop()
        await js.delete_consumer(subjects.EVENTS_STREAM, durable)
