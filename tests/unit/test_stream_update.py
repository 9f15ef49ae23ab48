"""ensure_stream and EventConsumer.start compute what an existing stream or durable should
become: this release's needs added, an operator's larger figures never lowered. (A single test
server cannot run an R3 stream: the replica rule is checked here, on the pure function.)"""

from __future__ import annotations

import dataclasses

import msgspec
import pytest
from nats.js.api import ConsumerConfig, Placement, StreamConfig

from shared import bus
from shared.settings import Settings, from_env, server_env

WEEK = 7 * 24 * 3600.0


def wanted(**changes: object) -> StreamConfig:
    return bus.wanted_stream(msgspec.structs.replace(Settings(), **changes))


def test_the_stream_is_made_with_the_replicas_setting() -> None:
    assert wanted().num_replicas == 1
    assert wanted(stream_replicas=3).num_replicas == 3
    assert from_env({"HUBBUB_STREAM_REPLICAS": "3"}).stream_replicas == 3
    # what `hubbub up` hands each service process it starts
    three = msgspec.structs.replace(Settings(), stream_replicas=3)
    assert server_env(three, "posts")["HUBBUB_STREAM_REPLICAS"] == "3"
    with pytest.raises(ValueError, match="HUBBUB_STREAM_REPLICAS"):
        from_env({"HUBBUB_STREAM_REPLICAS": "0"})
    with pytest.raises(ValueError, match="HUBBUB_STREAM_REPLICAS"):
        from_env({"HUBBUB_STREAM_REPLICAS": "three"})


def test_a_stream_as_wanted_is_left_alone() -> None:
    update, kept = bus.stream_update(wanted(), wanted())
    assert update is None and kept == []


def test_an_operators_r3_stream_is_not_scaled_back() -> None:
    current = dataclasses.replace(wanted(), num_replicas=3)
    update, kept = bus.stream_update(current, wanted(stream_replicas=1))
    assert update is None
    assert kept == ["num_replicas=3 (this release asks 1)"]


def test_more_replicas_asked_are_applied_keeping_the_rest() -> None:
    placement = Placement(cluster="east")
    current = dataclasses.replace(wanted(), max_age=30 * 24 * 3600.0, max_msgs=5_000_000,
                                  placement=placement)
    update, kept = bus.stream_update(current, wanted(stream_replicas=3))
    assert update is not None
    assert update.num_replicas == 3
    assert update.max_age == 30 * 24 * 3600.0  # the operator's longer age
    assert update.max_msgs == 5_000_000 and update.placement == placement
    assert "max_msgs=5000000" in kept


def test_an_unset_replica_count_is_one_copy() -> None:
    current = dataclasses.replace(wanted(), num_replicas=None)
    assert bus.stream_update(current, wanted())[0] is None
    update, _ = bus.stream_update(current, wanted(stream_replicas=3))
    assert update is not None and update.num_replicas == 3


def test_retention_is_raised_never_lowered() -> None:
    shorter = dataclasses.replace(wanted(), max_age=3600.0, duplicate_window=60.0)
    update, _ = bus.stream_update(shorter, wanted(dedupe_window_s=300.0))
    assert update is not None
    assert (update.max_age, update.duplicate_window) == (WEEK, 300.0)
    # No age limit at all (0) is the longest there is.
    forever = dataclasses.replace(wanted(), max_age=0.0)
    update, kept = bus.stream_update(forever, wanted())
    assert update is None and kept == [f"max_age=0.0 (this release asks {WEEK})"]


def test_hubbubs_subjects_are_added_to_an_operators() -> None:
    current = dataclasses.replace(wanted(), subjects=["audit.>"])
    update, _ = bus.stream_update(current, wanted())
    assert update is not None
    assert update.subjects == ["audit.>", "hubbub.evt.>"]


def consumer(**changes: object) -> ConsumerConfig:
    config = ConsumerConfig(durable_name="fanout-home", max_deliver=8, ack_wait=30.0,
                            max_ack_pending=10_000, filter_subject="hubbub.evt.>")
    return dataclasses.replace(config, **changes)


def test_a_durable_keeps_an_operators_larger_limits_and_replicas() -> None:
    current = consumer(max_deliver=20, max_ack_pending=-1, ack_wait=60.0, num_replicas=3)
    update, kept = bus.consumer_update(current, consumer())
    assert update is None
    assert kept == ["max_deliver=20 (this release asks 8)",
                    "ack_wait=60.0 (this release asks 30.0)",
                    "max_ack_pending=-1 (this release asks 10000)", "num_replicas=3"]


def test_a_durable_gets_this_releases_subjects_and_larger_limits() -> None:
    current = consumer(max_deliver=4, num_replicas=3, backoff=[1.0, 5.0])
    update, _ = bus.consumer_update(current, consumer(
        filter_subject=None, filter_subjects=["hubbub.evt.post.>", "hubbub.evt.graph.>"]))
    assert update is not None
    assert update.max_deliver == 8
    assert update.filter_subject is None
    assert update.filter_subjects == ["hubbub.evt.post.>", "hubbub.evt.graph.>"]
    assert update.num_replicas == 3 and update.backoff == [1.0, 5.0]  # the operator's
