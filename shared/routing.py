"""Event routing, declared once: a consumer's table from event type to the handlers of that type.

The table is both what a consumer subscribes to (``filter_subjects``: the subjects of the types
that have a handler, nothing else) and how an event reaches its handlers (``dispatch``): the two
cannot drift apart, and a handler never sees an event it does not handle.

    routes = EventRoutes()
    routes.on(events.StatusCreated, deliver_status)  # deliver_status takes a StatusCreated
    consumer = EventConsumer(js, "fanout-home", routes,
                             filter_subjects=routes.filter_subjects())
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from shared import events, subjects

E = TypeVar("E", bound=events.Event)
Handler = Callable[[E], Awaitable[None]]


Wildcard = str  # a subject token pattern: a facet's value, or "*" for any


class EventRoutes:
    def __init__(self) -> None:
        # Insertion-ordered: the filter keeps the order in which types were first routed (an
        # existing durable consumer whose filter differs, even in order only, is kept as it is,
        # see shared.consumers.EventConsumer.start), and handlers start in the order they were
        # added.
        self._handlers: dict[type[events.Event], list[Handler[Any]]] = {}
        # Per type, the facet patterns its handlers asked for; None once one asked for all.
        self._wanted: dict[type[events.Event], list[tuple[Wildcard, ...]] | None] = {}

    def on(self, event_type: type[E], handler: Handler[E], *,
           where: dict[str, str] | None = None) -> EventRoutes:
        """Route events of ``event_type`` to ``handler`` too (returns the table, to chain).

        ``where``: the values of the type's facets (``Event.FACETS``) the handler needs; the
        consumer then asks JetStream for those events alone. The handler must still check
        what it needs: events published before their type had facets carry none and reach
        every consumer of the type, as do all when another handler of the table wants them."""
        self._handlers.setdefault(event_type, []).append(handler)
        wanted = self._wanted.setdefault(event_type, [])
        if where is None or not event_type.FACETS:
            self._wanted[event_type] = None
        elif wanted is not None:
            unknown = set(where) - set(event_type.FACETS)
            if unknown:
                raise ValueError(f"{event_type.__name__} has no facets {sorted(unknown)}")
            wanted.append(tuple(where.get(name, "*") for name in event_type.FACETS))
        return self

    def include(self, other: EventRoutes) -> EventRoutes:
        """Add another table's routes after this one's (a consumer built of several parts)."""
        for event_type, handlers in other._handlers.items():
            self._handlers.setdefault(event_type, []).extend(handlers)
            mine = self._wanted.setdefault(event_type, [])
            theirs = other._wanted.get(event_type)
            if mine is None or theirs is None:
                self._wanted[event_type] = None
            else:
                mine.extend(theirs)
        return self

    @property
    def event_types(self) -> list[type[events.Event]]:
        return list(self._handlers)

    def filter_subjects(self) -> list[str]:
        """The stream subjects of the routed event types: what the consumer should receive.
        A type with facets: its bare subject (events from producers before the facets) and
        every faceted one, or only the patterns its handlers asked for (one pattern at most:
        JetStream refuses a consumer whose filters overlap, so several become all)."""
        found: list[str] = []
        for event_type in self._handlers:
            bare = subjects.event(event_type.__struct_config__.tag)  # type: ignore[arg-type]
            found.append(bare)
            if not event_type.FACETS:
                continue
            wanted = self._wanted.get(event_type)
            if wanted is not None and len(set(wanted)) == 1:
                found += [".".join((bare, *pattern)) for pattern in _open_ended(wanted[0])]
            else:
                found.append(bare + ".>")
        return found

    def handlers_for(self, event: events.Event) -> list[Handler[Any]]:
        return self._handlers.get(type(event), [])

    async def dispatch(self, event: events.Event) -> None:
        """Run the handlers of the event's type (none: nothing to do).

        Several handlers run side by side: each is idempotent on its own and none needs
        another's result, so an event's round trips overlap and a redelivery after a partial
        run is safe. Every handler finishes before the first failure is raised."""
        handlers = self._handlers.get(type(event))
        if not handlers:
            return
        if len(handlers) == 1:
            await handlers[0](event)
            return
        results = await asyncio.gather(*(handler(event) for handler in handlers),
                                       return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    __call__ = dispatch  # a table is an event handler (shared.consumers.EventHandler)


def _open_ended(pattern: tuple[Wildcard, ...]) -> list[tuple[Wildcard, ...]]:
    """The pattern as filters that still match once a facet is appended to the type (never
    inserted): trailing "any" facets become one ``>``; a pattern ending in a value is kept and
    followed by ``>`` too (one more filter: they do not overlap, JetStream takes both)."""
    values = list(pattern)
    if values[-1] != "*":
        return [pattern, (*pattern, ">")]
    while values and values[-1] == "*":
        values.pop()
    return [(*values, ">")]
