"""Fanout's consumer keeps a long event in progress: JetStream does not hand it out again while
it runs past the ack wait."""

from __future__ import annotations

import asyncio

from services.fanout.consumer import JoinRedelivered, ProgressingConsumer
from shared import events, subjects
from shared.bus import publish_headers
from tests.helpers import Api, unique


async def test_a_long_event_is_handled_once(api: Api) -> None:
    js = api.stack.js
    subject = f"hubbub.evt.test.{unique('progress')}"
    calls: list[int] = []

    async def slow(event: events.AnyEvent) -> None:
        calls.append(event.id)
        await asyncio.sleep(1.5)

    consumer = ProgressingConsumer(js, unique("progress"), slow, filter_subjects=[subject],
                                   max_deliver=4, ack_wait_s=0.5)  # three ack waits long
    await consumer.start()
    try:
        event = events.StatusUpdated(status_id=1, account_id=1, visibility="public")
        await js.publish(subject, events.encode(event), headers=publish_headers(event))
        for _ in range(150):
            if calls and await consumer.idle():
                break
            await asyncio.sleep(0.02)
        assert await consumer.idle()
        assert calls == [event.id]
    finally:
        await consumer.stop()
        await js.delete_consumer(subjects.EVENTS_STREAM, consumer.durable)


async def test_a_redelivery_during_the_run_joins_it() -> None:
    calls: list[int] = []
    release = asyncio.Event()

    async def slow(event: events.AnyEvent) -> None:
        calls.append(event.id)
        await release.wait()
        if len(calls) == 1:
            raise ConnectionError("first run failed")

    handle = JoinRedelivered(slow)
    event = events.StatusUpdated(status_id=1, account_id=1, visibility="public")
    first, copy = (asyncio.ensure_future(handle(event)) for _ in range(2))
    await asyncio.sleep(0.01)
    release.set()
    results = await asyncio.gather(first, copy, return_exceptions=True)
    assert calls == [event.id]  # one run, shared
    assert all(isinstance(r, ConnectionError) for r in results)  # both retried later
    await handle(event)  # a later delivery runs again
    assert calls == [event.id, event.id]
