"""Canary for shared/compat/nats.py: nats-py still keeps the JetStream context's connection and
API prefix where, and as, EventConsumer's pull loop expects them. If this fails after an upgrade
of nats-py, fix shared/compat/nats.py (and the range in its docstring and pyproject.toml)."""

from __future__ import annotations

import json

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from shared.compat import nats as nats_compat
from shared.nats_users import operator_url
from shared.settings import Settings
from tests.helpers import unique


def test_the_context_talks_through_its_client() -> None:
    nc = NATS()
    js = nc.jetstream()
    assert isinstance(js, JetStreamContext)
    assert nats_compat.connection_of(js) is nc
    assert callable(nats_compat.connection_of(js).new_inbox)  # the pull loop's reply inbox


def test_the_api_prefix_is_the_jetstream_api_subject() -> None:
    nc = NATS()
    assert nats_compat.api_prefix(nc.jetstream()) == "$JS.API"
    assert nats_compat.api_prefix(nc.jetstream(domain="hub")) == "$JS.hub.API"
    assert nats_compat.api_prefix(nc.jetstream(prefix="$JS.other.API")) == "$JS.other.API"


def test_the_pull_subject_is_the_one_nats_py_pulls_from() -> None:
    js = NATS().jetstream()
    assert (nats_compat.pull_subject(js, "HUBBUB_EVENTS", "fanout-home")
            == "$JS.API.CONSUMER.MSG.NEXT.HUBBUB_EVENTS.fanout-home")


async def test_a_pull_request_on_the_connection_delivers_the_next_message(
        servers: Settings) -> None:
    """What EventConsumer's pull loop does, against the real server."""
    nc = await nats.connect(operator_url(servers))
    js = nc.jetstream()
    stream, durable = unique("CANARY"), unique("canary")
    await js.add_stream(name=stream, subjects=[f"{stream}.>"])
    try:
        await js.add_consumer(stream, ConsumerConfig(durable_name=durable,
                                                     ack_policy=AckPolicy.EXPLICIT))
        await js.publish(f"{stream}.one", b"hello")
        # A subscription of its own: a JetStream message keeps its subject, which nats-py's
        # request muxer cannot route.
        connection = nats_compat.connection_of(js)
        inbox = connection.new_inbox()
        sub = await connection.subscribe(inbox)
        await connection.publish(nats_compat.pull_subject(js, stream, durable),
                                 json.dumps({"batch": 1}).encode(), reply=inbox)
        reply = await sub.next_msg(timeout=5)
        assert reply.data == b"hello"
        assert reply.subject == f"{stream}.one"
    finally:
        await js.delete_stream(stream)
        await nc.close()
