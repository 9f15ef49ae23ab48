"""A consumer's stop is bounded: the events still in hand after STOP_GRACE_S are cancelled and
NAK'd, and come again at once to the next consumer of the durable (shared/consumers.py,
EventConsumer), not after the ack wait. A handler stuck on a server that never answered held
shutdown forever."""

from __future__ import annotations

import asyncio

import pytest

from shared import consumers, events, subjects
from shared.bus import publish_headers
from shared.consumers import EventConsumer
from tests.helpers import Api, unique


async def test_a_stuck_handler_is_cancelled_at_stop_and_its_event_comes_again(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumers, "STOP_GRACE_S", 0.5)
    js = api.stack.js
    subject = f"hubbub.evt.test.{unique('stuck')}"
    durable = unique("stuck")
    entered = asyncio.Event()
    never = asyncio.Event()
    handled: list[int] = []

    async def stuck(event: events.AnyEvent) -> None:
        entered.set()
        await never.wait()  # a call to a server that never answers

    async def recording(event: events.AnyEvent) -> None:
        handled.append(event.id)

    # An ack wait far longer than the test: the event comes again only because it is NAK'd.
    first = EventConsumer(js, durable, stuck, filter_subjects=[subject], ack_wait_s=60.0)
    second = EventConsumer(js, durable, recording, filter_subjects=[subject], ack_wait_s=60.0)
    await first.start()
    try:
        event = events.StatusUpdated(status_id=1, account_id=1, visibility="public")
        await js.publish(subject, events.encode(event), headers=publish_headers(event))
        await asyncio.wait_for(entered.wait(), 10)
        # (asyncio.wait, not wait_for: wait_for's cancel at its timeout would end the stop's
        # wait itself, and the stop return as if in time)
        stopping = asyncio.ensure_future(first.stop())
        done, _ = await asyncio.wait({stopping}, timeout=5)
        assert stopping in done, "stop waited for the stuck handler"

        await second.start()
        for _ in range(200):
            if handled:
                break
            await asyncio.sleep(0.05)
        assert handled == [event.id]
        await first.stop()  # again: the same stop, over already
    finally:
        never.set()
        await first.stop()
        await second.stop()
        await js.delete_consumer(subjects.EVENTS_STREAM, durable)
