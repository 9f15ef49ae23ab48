"""The outbox: a status's event survives a relay crash and reaches JetStream exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import ServiceUnavailableError

from shared import events, outbox, subjects
from shared.ids import new_id
from shared.nats_users import operator_url
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.helpers import Api


async def copies_in_stream(settings: Settings, event_id: int) -> int:
    """How many messages in the stream carry this event id (read with an ephemeral consumer)."""
    nc = await nats.connect(operator_url(settings))
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            subjects.event("post.status.created") + ".>", stream=subjects.EVENTS_STREAM,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
        found, unavailable = 0, 0
        while True:
            try:
                msgs = await sub.fetch(500, timeout=0.5)
            except TimeoutError:  # nats-py raises its own subclass, or asyncio's plain one
                break
            except ServiceUnavailableError:
                # A cluster (make test-cluster): the new consumer's group is still forming.
                unavailable += 1
                if unavailable > 20:
                    raise
                await asyncio.sleep(0.1)
                continue
            for msg in msgs:
                if events.decode(msg.data).id == event_id:
                    found += 1
                await msg.ack()
        await sub.unsubscribe()
        return found
    finally:
        await nc.close()


def status_event() -> events.StatusCreated:
    return events.StatusCreated(status_id=new_id(), account_id=new_id(), network_id=1,
                                visibility="public")


@contextlib.asynccontextmanager
async def relay_of_our_own(api: Api) -> AsyncIterator[OutboxRelay]:
    """The service's relay stopped (only the test touches the outbox), and one the test runs
    by hand; the service's is started again after."""
    stack = api.stack
    await stack.posts.relay.stop()
    try:
        yield OutboxRelay(stack.posts.pool, stack.posts.js, "posts",
                          database_url=stack.settings.database_url)
    finally:
        await stack.posts.relay.start()
        await asyncio.sleep(0)


async def written(api: Api) -> events.StatusCreated:
    """A status event's outbox row, committed."""
    event = status_event()
    async with api.stack.posts.pool.acquire() as conn, conn.transaction():
        await outbox.add(conn, "posts", event)
    return event


async def published_at(api: Api, event: events.Event) -> object:
    return await api.stack.posts.pool.fetchval(
        "SELECT published_at FROM outbox WHERE id = $1", event.id)


async def test_row_written_while_relay_is_down_is_published_later(api: Api) -> None:
    stack = api.stack
    await stack.posts.relay.stop()  # the relay is down (crashed, or the service restarting)
    try:
        event = status_event()
        async with stack.posts.pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, "posts", event)
        await asyncio.sleep(0.3)
        assert await stack.posts.pool.fetchval(
            "SELECT published_at FROM outbox WHERE id = $1", event.id) is None
    finally:
        await stack.posts.relay.start()  # back up: it starts with the rows left behind
    for _ in range(100):
        if await stack.posts.pool.fetchval(
                "SELECT published_at IS NOT NULL FROM outbox WHERE id = $1", event.id):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the restarted relay did not publish the row")
    assert await copies_in_stream(stack.settings, event.id) == 1


async def test_crash_between_publish_and_mark_publishes_once(api: Api) -> None:
    async with relay_of_our_own(api) as relay:
        event = await written(api)
        # A relay that published and then died before marking the row: the row stays unpublished.
        await api.stack.posts.js.publish(subjects.event(event.type, event.facets()),
                                         events.encode(event),
                                         headers={"Nats-Msg-Id": str(event.id)})
        assert await published_at(api, event) is None
        # The restarted relay publishes it again; JetStream drops the duplicate.
        assert await relay.relay_once() >= 1
        assert await published_at(api, event) is not None
        assert await copies_in_stream(api.stack.settings, event.id) == 1


async def test_the_relay_listens_again_after_its_session_ended(api: Api) -> None:
    """PostgreSQL restarted or failed over, or an administrator ended the listening session:
    the relay listens again (rows wake it at once), not only polls from then on."""
    relay = api.stack.posts.relay
    listener = relay._listener
    assert listener is not None
    ended = listener.get_server_pid()
    # The posts role may end its own sessions, as an administrator would.
    assert await api.stack.posts.pool.fetchval("SELECT pg_terminate_backend($1)", ended)
    for _ in range(100):
        again = relay._listener
        if again is not None and not again.is_closed() and again.get_server_pid() != ended:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the relay did not listen again")
    event = status_event()
    async with api.stack.posts.pool.acquire() as conn, conn.transaction():
        await outbox.add(conn, "posts", event)
    for _ in range(50):  # woken by NOTIFY: well before the 1 s poll (would pass by it too)
        if await api.stack.posts.pool.fetchval(
                "SELECT published_at FROM outbox WHERE id = $1", event.id):
            break
        await asyncio.sleep(0.02)
    assert await copies_in_stream(api.stack.settings, event.id) == 1


async def test_a_failed_publish_leaves_its_batch_unpublished(api: Api) -> None:
    """The relay marks its rows before publishing them (one round trip less), in the same
    transaction: a publish that fails rolls the marks back, and the rows go out later."""
    async with relay_of_our_own(api) as relay:
        event = await written(api)
        # A row whose subject no stream takes: JetStream answers its publish with an error.
        await api.stack.posts.pool.execute(
            "UPDATE outbox SET subject = 'hubbub.nowhere' WHERE id = $1", event.id)
        try:
            await relay.relay_once()
        except Exception:  # noqa: BLE001 - whichever error the client raises for no stream
            pass
        else:
            raise AssertionError("the publish to no stream should have failed")
        assert await published_at(api, event) is None
        await api.stack.posts.pool.execute("UPDATE outbox SET subject = $2 WHERE id = $1",
                                           *outbox.row(event)[:2])
        assert await relay.relay_once() >= 1
        assert await copies_in_stream(api.stack.settings, event.id) == 1
