"""shared/routing.py: a consumer's filter is exactly its routed event types, an event reaches
only the handlers of its type, and several handlers of one type all finish before a failure."""

from __future__ import annotations

import asyncio

import pytest

from shared import events, subjects
from shared.routing import EventRoutes

CREATED = events.StatusCreated(status_id=1, account_id=2, network_id=1, visibility="public")
FOLLOWED = events.FollowCreated(follower_id=1, followee_id=2)
BLOCKED = events.BlockCreated(account_id=1, target_id=2)


def recorder(seen: list, name: str):
    async def handle(event: events.Event) -> None:
        seen.append((name, event.type))
    return handle


def test_the_filter_is_the_routed_types_in_the_order_first_routed() -> None:
    seen: list = []
    routes = (EventRoutes().on(events.FollowCreated, recorder(seen, "a"))
              .on(events.StatusCreated, recorder(seen, "a"))
              .on(events.FollowCreated, recorder(seen, "b")))
    # A type with facets: its bare subject (older producers) and every faceted one.
    assert routes.filter_subjects() == [subjects.event("graph.follow.created"),
                                        subjects.event("post.status.created"),
                                        subjects.event("post.status.created") + ".>"]
    assert routes.event_types == [events.FollowCreated, events.StatusCreated]


def test_an_event_is_published_under_its_facets() -> None:
    assert events.StatusCreated.FACETS == ("kind", "visibility", "link", "hooks", "notice")
    assert subjects.event(CREATED.type, CREATED.facets()) == (
        "hubbub.evt.post.status.created.status.public.link.hooked.notice")
    boost = events.StatusCreated(status_id=3, account_id=2, network_id=1, visibility="direct",
                                 reblog_of_id=1, has_link=False, hooked=False, noticed=False)
    assert subjects.event(boost.type, boost.facets()) == (
        "hubbub.evt.post.status.created.reblog.direct.plain.quiet.quiet")
    assert FOLLOWED.facets() == () and subjects.event(FOLLOWED.type) == (
        "hubbub.evt.graph.follow.created")


def test_a_handler_asks_for_the_facets_it_needs() -> None:
    async def handle(event: events.Event) -> None: ...

    bare = subjects.event("post.status.created")
    direct = EventRoutes().on(events.StatusCreated, handle,
                              where={"kind": "status", "visibility": "direct"})
    # Trailing facets of any value end in ">": a facet appended later changes no filter.
    assert direct.filter_subjects() == [bare, bare + ".status.direct.>"]
    linked = EventRoutes().on(events.StatusCreated, handle, where={"link": "link"})
    assert linked.filter_subjects() == [bare, bare + ".*.*.link.>"]
    # Ending in a value: that, and more after it (JetStream takes both: they do not overlap).
    noticed = EventRoutes().on(events.StatusCreated, handle, where={"notice": "notice"})
    assert noticed.filter_subjects() == [bare, bare + ".*.*.*.*.notice",
                                         bare + ".*.*.*.*.notice.>"]
    hooked = EventRoutes().on(events.StatusCreated, handle, where={"hooks": "hooked"})
    assert hooked.filter_subjects() == [bare, bare + ".*.*.*.hooked.>"]
    # Facets of a type without them mean nothing: all of it.
    assert EventRoutes().on(events.FollowCreated, handle, where={}).filter_subjects() == [
        subjects.event("graph.follow.created")]
    # Another handler of the type that wants all of it (or other facets: JetStream refuses
    # overlapping filters) makes the table want all of it; include() keeps the patterns.
    for other in (None, {"link": "link"}):
        both = EventRoutes().include(direct).include(
            EventRoutes().on(events.StatusCreated, handle, where=other))
        assert both.filter_subjects() == [bare, bare + ".>"]
    same = EventRoutes().include(direct).include(direct)
    assert same.filter_subjects() == [bare, bare + ".status.direct.>"]
    with pytest.raises(ValueError, match="no facets"):
        EventRoutes().on(events.StatusCreated, handle, where={"colour": "red"})


async def test_an_event_reaches_only_the_handlers_of_its_type() -> None:
    seen: list = []
    routes = (EventRoutes().on(events.StatusCreated, recorder(seen, "statuses"))
              .on(events.FollowCreated, recorder(seen, "follows")))
    await routes.dispatch(CREATED)
    await routes(FOLLOWED)
    await routes.dispatch(BLOCKED)  # no handler: nothing runs
    assert seen == [("statuses", "post.status.created"), ("follows", "graph.follow.created")]


async def test_include_adds_another_tables_routes_after() -> None:
    seen: list = []
    first = EventRoutes().on(events.StatusCreated, recorder(seen, "first"))
    second = (EventRoutes().on(events.StatusCreated, recorder(seen, "second"))
              .on(events.BlockCreated, recorder(seen, "second")))
    routes = EventRoutes().include(first).include(second)
    assert routes.event_types == [events.StatusCreated, events.BlockCreated]
    await routes.dispatch(CREATED)
    assert seen == [("first", "post.status.created"), ("second", "post.status.created")]


async def test_every_handler_finishes_before_the_first_failure_is_raised() -> None:
    finished: list[str] = []

    async def fails(event: events.Event) -> None:
        raise ConnectionError("graph is away")

    async def slow(event: events.Event) -> None:
        await asyncio.sleep(0.05)
        finished.append("slow")

    async def also_fails(event: events.Event) -> None:
        await asyncio.sleep(0.01)
        raise ValueError("second")

    routes = (EventRoutes().on(events.StatusCreated, fails).on(events.StatusCreated, slow)
              .on(events.StatusCreated, also_fails))
    with pytest.raises(ConnectionError):
        await routes.dispatch(CREATED)
    assert finished == ["slow"]


async def test_handlers_of_one_type_run_side_by_side() -> None:
    both = asyncio.Barrier(2)  # each waits for the other: in turn, they would never finish

    async def waits(event: events.Event) -> None:
        await both.wait()

    routes = EventRoutes().on(events.StatusCreated, waits).on(events.StatusCreated, waits)
    await asyncio.wait_for(routes.dispatch(CREATED), 1)
