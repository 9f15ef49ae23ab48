"""An event whose handler waits for a server that is away is kept, not given up: an outage
longer than the redelivery schedule used to spend the event's deliveries (max_deliver) and
JetStream dropped it, a lost timeline entry or notification (shared/consumers.py,
EventConsumer._handle_through_outages)."""

from __future__ import annotations

import asyncio

import nats.js.api

from shared import consumers, errors, events, subjects
from shared.bus import publish_headers
from shared.consumers import EventConsumer
from tests.helpers import Api, unique


async def _wait_until(condition, seconds: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def _handled_and_idle(consumer: EventConsumer, attempts: list[int], count: int) -> bool:
    return len(attempts) >= count and await consumer.idle()


async def test_an_outage_longer_than_max_deliver_loses_no_event(api: Api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(consumers, "OUTAGE_RETRY_FIRST_S", 0.05)
    monkeypatch.setattr(consumers, "OUTAGE_RETRY_MAX_S", 0.1)
    js = api.stack.js
    subject = f"hubbub.evt.test.{unique('outage')}"
    attempts: list[int] = []
    failures = [ConnectionRefusedError("postgres away"), errors.Unavailable("graph away")] * 4

    async def handler(event: events.AnyEvent) -> None:
        attempts.append(event.id)
        if failures:
            raise failures.pop(0)

    consumer = EventConsumer(js, unique("outage"), handler, filter_subjects=[subject],
                             max_deliver=2, ack_wait_s=1.0)
    await consumer.start()
    try:
        event = events.StatusUpdated(status_id=1, account_id=1, visibility="public")
        await js.publish(subject, events.encode(event), headers=publish_headers(event))
        # Idle alone can hold before the consumer counts the event as pending (a flaky pass
        # of the wait, then a failure): wait for the handling itself too.
        await _wait_until(lambda: _handled_and_idle(consumer, attempts, 9))
        # Eight failures against max_deliver 2: still handled, once delivered, never dropped.
        assert len(attempts) == 9 and not failures
        info: nats.js.api.ConsumerInfo = await js.consumer_info(subjects.EVENTS_STREAM,
                                                                 consumer.durable)
        assert info.delivered.consumer_seq == 1  # no redelivery was spent on the outage
    finally:
        await consumer.stop()
        await js.delete_consumer(subjects.EVENTS_STREAM, consumer.durable)


async def test_other_failures_are_still_given_up_after_max_deliver(api: Api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(consumers, "CONSUMER_BACKOFF_S", [0.05])
    js = api.stack.js
    subject = f"hubbub.evt.test.{unique('poison')}"
    attempts: list[int] = []

    async def handler(event: events.AnyEvent) -> None:
        attempts.append(event.id)
        raise ValueError("a bug, not an outage")

    consumer = EventConsumer(js, unique("poison"), handler, filter_subjects=[subject],
                             max_deliver=2, ack_wait_s=1.0)
    await consumer.start()
    try:
        event = events.StatusUpdated(status_id=1, account_id=1, visibility="public")
        await js.publish(subject, events.encode(event), headers=publish_headers(event))
        await _wait_until(lambda: _handled_and_idle(consumer, attempts, 2))
        assert len(attempts) == 2  # max_deliver, then term: a poison event does not loop
    finally:
        await consumer.stop()
        await js.delete_consumer(subjects.EVENTS_STREAM, consumer.durable)
