"""A second replica of a service, in the tests' process, that dies holding a request.

The stack runs one replica of each service. ``doomed_replica`` adds another one, on a NATS
connection of its own (the service's user, as another process would have), serving the same
verbs with the same handlers. To make the death deterministic rather than timed, the service's
own replica stops serving until the doomed one holds the next request of ``verb``; then the
service's replica serves again and the doomed one's connection closes, a kill -9 as NATS sees
it: the request it held never gets an answer from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from shared import bus
from shared.contracts.verb import Verb
from shared.request_keys import RequestKeys
from shared.service_host import ServiceHost


class ReplicaDied(Exception):
    """Raised in the doomed replica's handler after its connection closed: it answers nothing."""


@dataclass
class Doomed:
    received: asyncio.Event = field(default_factory=asyncio.Event)
    applied: int = 0  # requests the doomed replica applied before it died


def host_of(service: Any) -> ServiceHost:
    """The service's request host (services/runtime.py keeps it among its stoppables)."""
    for stoppable in service._stoppables:
        if isinstance(stoppable, ServiceHost):
            return stoppable
    raise LookupError(f"{service.name} has no request host")


@asynccontextmanager
async def stopped_host(service: Any) -> AsyncIterator[ServiceHost]:
    """The service's replica stops serving requests for the block (no responders at all)."""
    host = host_of(service)
    await host.stop()
    try:
        yield host
    finally:
        await host.start()


@asynccontextmanager
async def doomed_replica(stack: Any, service: Any, verb: Verb[Any, Any], *,
                         apply_first: bool) -> AsyncIterator[Doomed]:
    """A replica that takes the next ``verb`` request and dies with it: before applying it, or
    (``apply_first``) after applying it, its answer lost."""
    real = host_of(service)
    nc = await bus.connect(stack.settings, f"hubbub-{service.name}-doomed", user=service.name,
                           attempts=3)
    doomed = Doomed()
    host = ServiceHost(nc, real.verbs, keys=RequestKeys(service.pool))

    def dying(handler: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
        async def handle(payload: Any) -> Any:
            if doomed.received.is_set():
                return await handler(payload)
            doomed.received.set()
            reply = None
            if apply_first:
                reply = await handler(payload)
                doomed.applied += 1
            await real.start()  # the other replica is there for the retry
            await nc.close()  # dead: whatever it answers now goes nowhere
            if reply is None:
                raise ReplicaDied(verb.name)
            return reply
        return handle

    for endpoint in real._endpoints.values():
        handler = endpoint.handler
        host.serve(endpoint.verb, dying(handler) if endpoint.verb is verb else handler)
    await real.stop()
    try:
        await host.start()
        yield doomed
    finally:
        if not doomed.received.is_set():
            await real.start()
        if not nc.is_closed:
            await nc.close()
