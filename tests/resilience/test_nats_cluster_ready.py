"""The event stream and its durables against a real NATS server of this module's own (the
session's stream is every test's): a start never lowers what an operator raised by hand, and a
service given a list of servers whose first is dead connects to the next."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import msgspec
import pytest
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StreamConfig

from shared import bus, consumers, events, infra, subjects
from shared.nats_users import OPERATOR
from shared.settings import Settings

pytestmark = pytest.mark.timeout(120)
WEEK = 7 * 24 * 3600.0


@pytest.fixture(scope="module")
def own_nats() -> Iterator[Settings]:
    folder = Path(tempfile.mkdtemp(prefix="hubbub-stream-"))
    embedded = infra.EmbeddedServers(data_dir=folder, preferred_ports={})
    try:
        url = embedded.start_nats()
        yield Settings(nats_url=url, data_dir=str(folder))
    finally:
        embedded.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def js(own_nats: Settings) -> AsyncIterator[JetStreamContext]:
    nc = await bus.connect(own_nats, "stream-tests", user=OPERATOR, attempts=3)
    js = nc.jetstream()
    try:
        yield js
    finally:
        try:
            await js.delete_stream(subjects.EVENTS_STREAM)
        except Exception:  # noqa: S110 - a test that made none
            pass
        await nc.close()


async def stream_config(js: JetStreamContext) -> StreamConfig:
    return (await js.stream_info(subjects.EVENTS_STREAM)).config


async def test_a_start_never_lowers_what_an_operator_raised(
        js: JetStreamContext, own_nats: Settings) -> None:
    await bus.ensure_stream(js, own_nats)
    made = await stream_config(js)
    assert (made.num_replicas, made.max_age, made.duplicate_window) == (1, WEEK, 300.0)
    # The operator keeps events for a month, at most ten million of them, and dedupes longer.
    # (max_bytes well under the machine's free disk: JetStream refuses a stream whose limit its
    # store could not hold, and 50 GB failed once the disk had less than about 67 GB free.)
    raised = dataclasses.replace(made, max_age=30 * 24 * 3600.0, max_msgs=10_000_000,
                                 max_bytes=2_000_000_000, duplicate_window=900.0)
    await js.update_stream(raised)
    await bus.ensure_stream(js, own_nats)  # the next service's start
    after = await stream_config(js)
    assert (after.max_age, after.max_msgs, after.max_bytes, after.duplicate_window) == (
        30 * 24 * 3600.0, 10_000_000, 2_000_000_000, 900.0)
    # A release that asks for a longer duplicate window than the operator's raises it, and
    # only it.
    await bus.ensure_stream(js, msgspec.structs.replace(own_nats, dedupe_window_s=1200.0))
    after = await stream_config(js)
    assert (after.max_age, after.max_msgs, after.duplicate_window) == (
        30 * 24 * 3600.0, 10_000_000, 1200.0)


async def test_a_lowered_retention_is_raised_back(js: JetStreamContext,
                                                  own_nats: Settings) -> None:
    await bus.ensure_stream(js, own_nats)
    await js.update_stream(dataclasses.replace(await stream_config(js), max_age=3600.0))
    await bus.ensure_stream(js, own_nats)
    assert (await stream_config(js)).max_age == WEEK


async def handle(event: events.AnyEvent) -> None:
    pass


async def test_a_durable_keeps_what_an_operator_raised_and_inherits_replicas(
        js: JetStreamContext, own_nats: Settings) -> None:
    await bus.ensure_stream(js, own_nats)
    first = consumers.EventConsumer(js, "stream-test", handle,
                                    filter_subjects=["hubbub.evt.post.>"])
    await first.start()
    await first.stop()
    info = await js.consumer_info(subjects.EVENTS_STREAM, "stream-test")
    # Unset: the server gives the durable the stream's replica count.
    assert not info.config.num_replicas
    raised = dataclasses.replace(info.config, max_deliver=50, max_ack_pending=50_000)
    await js.add_consumer(subjects.EVENTS_STREAM, raised)
    # The next release's start: one more event subject, the same limits.
    again = consumers.EventConsumer(js, "stream-test", handle,
                                    filter_subjects=["hubbub.evt.post.>", "hubbub.evt.graph.>"])
    await again.start()
    await again.stop()
    config: ConsumerConfig = (await js.consumer_info(subjects.EVENTS_STREAM,
                                                     "stream-test")).config
    assert (config.max_deliver, config.max_ack_pending) == (50, 50_000)
    assert sorted(config.filter_subjects or []) == ["hubbub.evt.graph.>", "hubbub.evt.post.>"]


async def test_a_list_of_servers_whose_first_is_dead(own_nats: Settings) -> None:
    dead = f"nats://127.0.0.1:{infra.free_port()}"
    listed = msgspec.structs.replace(own_nats, nats_url=f"{dead}, {own_nats.nats_url}")
    for _ in range(3):  # nats-py shuffles the list: whichever comes first, it gets through
        nc = await asyncio.wait_for(bus.connect(listed, "list-test", user=OPERATOR,
                                                attempts=1), 20)
        try:
            assert nc.is_connected
            assert nc.connected_url is not None
            assert nc.connected_url.port == int(own_nats.nats_url.rsplit(":", 1)[1])
            assert len(nc.servers) >= 2  # both kept for reconnecting
        finally:
            await nc.close()
