"""Fanout's consumer receives exactly the events its parts declare (shared.routing), and an
event of another type never reaches it."""

from __future__ import annotations

from shared import events, subjects
from shared.bus import publish_event
from tests.helpers import Api

# The filter fanout-home had when it was written out by hand. Same subjects in the same order:
# a durable consumer that exists with another filter keeps it (shared.bus.EventConsumer.start).
HOME_EVENTS = ["post.status.created", "post.status.deleted", "post.status.updated",
               "post.reblog.created", "post.reblog.removed", "graph.follow.created",
               "graph.follow.removed", "graph.block.created", "graph.mute.created",
               "graph.list.members_changed", "graph.list.deleted", "graph.community.joined",
               "graph.community.left"]


async def test_the_consumer_filter_is_the_routed_event_types(api: Api) -> None:
    fanout = api.stack.fanout
    expected = [subjects.event(t) for t in HOME_EVENTS]
    assert fanout.routes.filter_subjects() == expected
    info = await fanout.js.consumer_info(subjects.EVENTS_STREAM, "fanout-home")
    assert list(info.config.filter_subjects or [info.config.filter_subject]) == expected


async def test_an_event_no_part_handles_is_never_delivered(api: Api) -> None:
    fanout = api.stack.fanout
    await api.idle()
    before = await fanout.js.consumer_info(subjects.EVENTS_STREAM, "fanout-home")
    unrouted = events.TagFollowed(account_id=1, tag="nobody-routes-this")  # no consumer does
    assert type(unrouted) not in fanout.routes.event_types
    await publish_event(fanout.js, unrouted)
    await api.idle()
    after = await fanout.js.consumer_info(subjects.EVENTS_STREAM, "fanout-home")
    assert after.delivered.consumer_seq == before.delivered.consumer_seq
    assert after.num_pending == 0
