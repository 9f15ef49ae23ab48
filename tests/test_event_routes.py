"""Each consumer receives exactly the events its routing table handles (shared.routing), and an
event of another type never reaches it."""

from __future__ import annotations

import pytest

from services.graph.use_cases.follow_account import keep_belled_index
from shared import events, subjects
from shared.bus import publish_event
from tests.helpers import Api

# The filters as they were written out by hand before the tables. Same subjects in the same
# order: a durable consumer that exists with another filter keeps it (EventConsumer.start).
FORMER_FILTERS = {
    "fanout-home": ["post.status.created", "post.status.deleted", "post.status.updated",
                    "post.reblog.created", "post.reblog.removed", "graph.follow.created",
                    "graph.follow.removed", "graph.block.created", "graph.mute.created",
                    "graph.list.members_changed", "graph.list.deleted",
                    "graph.community.joined", "graph.community.left"],
    "notify": ["post.status.created", "post.status.deleted", "post.status.updated",
               "post.favourite.added", "post.favourite.removed", "post.reblog.created",
               "post.reblog.removed", "post.poll.ended", "graph.follow.created",
               "graph.follow_request.created", "graph.community.invited"],
    "graph-counters": ["post.status.created", "post.status.deleted"],
}


def consumer_of(api: Api, durable: str):
    services = (api.stack.fanout, api.stack.notify, api.stack.graph)
    [consumer] = [item for service in services for item in service._stoppables
                  if getattr(item, "durable", None) == durable]
    return consumer


# The statuses a consumer asks for by their facets (shared/routing.py); the others take all.
# (A pattern ending in a value stands for itself and what a later facet appends to it.)
FACETED = {"notify": (".*.*.*.*.notice", ".*.*.*.*.notice.>")}


def filters(tags: list[str], faceted: tuple[str, ...] = (".>",)) -> list[str]:
    """The subjects of those types, each type with facets followed by its faceted subjects:
    all of them, or the pattern its consumer asked for (shared/routing.py)."""
    found = []
    for tag in tags:
        found.append(subjects.event(tag))
        if tag == "post.status.created":
            found += [subjects.event(tag) + suffix for suffix in faceted]
    return found


@pytest.mark.parametrize("durable", sorted(FORMER_FILTERS))
async def test_the_consumer_filter_is_the_routed_event_types(api: Api, durable: str) -> None:
    expected = filters(FORMER_FILTERS[durable], FACETED.get(durable, (".>",)))
    consumer = consumer_of(api, durable)
    assert consumer.filter_subjects == expected
    info = await api.stack.js.consumer_info(subjects.EVENTS_STREAM, durable)
    assert list(info.config.filter_subjects or [info.config.filter_subject]) == expected


async def test_an_event_no_part_handles_is_never_delivered(api: Api) -> None:
    js = api.stack.js
    await api.idle()
    before = {d: await js.consumer_info(subjects.EVENTS_STREAM, d) for d in FORMER_FILTERS}
    unrouted = events.TagFollowed(account_id=1, tag="nobody-routes-this")  # no consumer does
    await publish_event(js, unrouted)
    await api.idle()
    for durable, was in before.items():
        now = await js.consumer_info(subjects.EVENTS_STREAM, durable)
        assert now.delivered.consumer_seq == was.delivered.consumer_seq, durable
        assert now.num_pending == 0


async def test_a_consumer_is_handed_only_the_facets_it_asked_for(api: Api) -> None:
    """Conversations ask for direct statuses, the card worker for statuses with a link: a
    plain public post reaches neither (it costs them no delivery), a direct one the first."""
    js = api.stack.js
    await api.idle()
    durables = ("notify-conversations", "posts-cards")
    info = await js.consumer_info(subjects.EVENTS_STREAM, "notify-conversations")
    assert subjects.event("post.status.created") + ".status.direct.>" in (
        info.config.filter_subjects or [])

    async def delivered() -> dict[str, int]:
        return {d: (await js.consumer_info(subjects.EVENTS_STREAM, d)).delivered.consumer_seq
                for d in durables}

    author, friend = await api.user(), await api.user()
    before = await delivered()
    await api.post(author, "a plain public post")
    await api.idle()
    assert await delivered() == before
    await api.post(author, f"@{friend.username} just us", visibility="direct")
    await api.idle()
    now = await delivered()
    assert now["notify-conversations"] == before["notify-conversations"] + 1
    assert now["posts-cards"] == before["posts-cards"]
    await api.post(author, "see https://example.com/page")
    await api.idle()
    assert (await delivered())["posts-cards"] == before["posts-cards"] + 1


async def test_notify_is_handed_only_statuses_that_may_notify(api: Api) -> None:
    """With graph's index of belled authors complete, a plain post by an author no one rang
    the bell for never reaches notify; a mention, a reply to another and a belled author's
    post do."""
    js = api.stack.js
    await keep_belled_index(api.stack.graph.pool, api.stack.graph.redis.main)
    author, friend, fan = await api.user(), await api.user(), await api.user()
    await api.idle()

    async def delivered() -> int:
        return (await js.consumer_info(subjects.EVENTS_STREAM, "notify")
                ).delivered.consumer_seq

    before = await delivered()
    plain = await api.post(author, "nobody to tell")
    await api.idle()
    assert await delivered() == before
    await api.post(author, f"hello @{friend.username}")
    await api.idle()
    assert await delivered() == before + 1
    await api.post(friend, "a reply", in_reply_to_id=plain["id"])
    await api.idle()
    assert await delivered() == before + 2
    r = await api.client.post(f"/api/v1/accounts/{author.id}/follow", headers=fan.headers,
                              json={"notify": True})
    assert r.status_code == 200, r.text
    await api.idle()
    seen = await delivered()
    await api.post(author, "the fan hears of this")
    await api.idle()
    assert await delivered() == seen + 1
    r = await api.client.get("/api/v1/notifications", headers=fan.headers,
                             params={"types[]": "status"})
    assert [n["status"]["content"] for n in r.json()] == ["<p>the fan hears of this</p>"]
