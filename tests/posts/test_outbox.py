"""The outbox: a status's event survives a relay crash and reaches JetStream exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import ServiceUnavailableError

from services.posts.use_cases.post_status import PostStatus
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
    # A row that is not handed over (as a writer of its own statement without the hand-off
    # writes it): it waits for the relay, woken by its NOTIFY.
    await api.stack.posts.pool.execute(
        "INSERT INTO outbox (id, subject, payload) VALUES ($1, $2, $3); ", *outbox.row(event))
    await api.stack.posts.pool.execute("SELECT pg_notify($1, '')", outbox.channel("posts"))
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


# --- the hand-off: rows committed by the writing process go to its relay in memory -------------


@contextlib.asynccontextmanager
async def handing_relay(api: Api) -> AsyncIterator[tuple[OutboxRelay, list[list[int]]]]:
    """The service's relay stopped, and one of the test's own running in its place (rows
    written on the service's pool are handed to it); its hand-offs are recorded, by id."""
    stack = api.stack
    await stack.posts.relay.stop()
    relay = OutboxRelay(stack.posts.pool, stack.posts.js, "posts",
                        database_url=stack.settings.database_url, poll_s=3600)
    handed: list[list[int]] = []
    hand = relay.hand

    def recording(rows: list[outbox.Handed]) -> None:
        handed.append([r[0] for r in rows])
        hand(rows)

    relay.hand = recording  # type: ignore[method-assign]
    await relay.start()
    try:
        yield relay, handed
    finally:
        await relay.stop()
        await stack.posts.relay.start()
        await asyncio.sleep(0)


async def eventually_published(api: Api, event: events.Event) -> None:
    for _ in range(100):
        if await published_at(api, event) is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the handed row was not marked published")


async def published_by_the_poll_once_its_grace_is_over(api: Api, relay: OutboxRelay,
                                                      event: events.Event) -> None:
    """A handed row left unpublished, its grace made over: the relay's poll publishes it, once."""
    await api.stack.posts.pool.execute(
        "UPDATE outbox SET relay_after = now() - interval '1 second' WHERE id = $1", event.id)
    assert await relay.relay_once() >= 1
    assert await copies_in_stream(api.stack.settings, event.id) == 1


async def test_a_committed_row_is_handed_to_the_relay_and_published_once(api: Api) -> None:
    """No NOTIFY and no poll (this relay polls hourly): the commit hands the row over."""
    async with handing_relay(api) as (_relay, handed):
        event = await written(api)
        assert handed == [[event.id]]
        await eventually_published(api, event)
        assert await api.stack.posts.pool.fetchval(
            "SELECT relay_after IS NOT NULL FROM outbox WHERE id = $1", event.id)
        assert await copies_in_stream(api.stack.settings, event.id) == 1


async def test_a_status_is_handed_over_by_its_own_statement(api: Api) -> None:
    """status.create writes its outbox row inside its one statement (autocommit): the row is
    handed once that statement returns."""
    async with handing_relay(api) as (_relay, handed):
        alice = await api.user()
        status = await api.post(alice, "handed over")
        rows = await api.stack.posts.pool.fetch(
            "SELECT id, payload, relay_after IS NOT NULL AS handed FROM outbox "
            "WHERE subject LIKE '%.status.created.%' ORDER BY id DESC LIMIT 20")
        ours = [r for r in rows
                if getattr(events.decode(r["payload"]), "status_id", None) == int(status["id"])]
        assert len(ours) == 1 and ours[0]["handed"]
        assert [ours[0]["id"]] in handed


async def test_favourites_and_reblogs_write_their_events_in_their_own_statement(
        api: Api) -> None:
    """A favourite, unfavourite or reblog writes its row, the count and its event in one
    statement (shared/outbox.py Inline): each event is handed over once, and an action that
    changed nothing (favourited or reblogged already) writes no event."""
    async with handing_relay(api) as (_relay, handed):
        alice, bob = await api.user(), await api.user()
        status = await api.post(alice, "act on me")
        for action in ("favourite", "favourite", "unfavourite", "reblog", "reblog"):
            r = await api.client.post(f"/api/v1/statuses/{status['id']}/{action}",
                                      headers=bob.headers)
            assert r.status_code == 200, r.text
        rows = await api.stack.posts.pool.fetch(
            "SELECT id, payload, relay_after IS NOT NULL AS handed FROM outbox "
            "ORDER BY id DESC LIMIT 50")
        ours = [(row["id"], events.decode(row["payload"]), row["handed"]) for row in rows]
        ours = [(i, e, h) for i, e, h in ours
                if getattr(e, "status_id", None) == int(status["id"])
                and not isinstance(e, events.StatusCreated)]
        assert sorted(type(e).__name__ for _, e, _ in ours) == [
            "FavouriteAdded", "FavouriteRemoved", "ReblogCreated"]
        assert all(h for _, _, h in ours)
        every_handed = [i for batch in handed for i in batch]
        assert all(every_handed.count(i) == 1 for i, _, _ in ours)
        counts = await api.stack.posts.pool.fetchrow(
            "SELECT favourites_count, reblogs_count FROM statuses WHERE id = $1",
            int(status["id"]))
        assert (counts["favourites_count"], counts["reblogs_count"]) == (0, 1)
        for _, event, _ in ours:
            await eventually_published(api, event)


async def test_an_inline_event_without_a_relay_to_hand_it_to_wakes_the_relay(api: Api) -> None:
    """With no relay running in the process (handoff_for: None), the statement's event waits
    for the relay, its poll not held back (relay_after NULL), and its NOTIFY wakes it."""
    from services.posts import store

    alice, bob = await api.user(), await api.user()
    status = await api.post(alice, "favourite me while the relay is away")
    event = events.FavouriteAdded(status_id=int(status["id"]), status_account_id=int(alice.id),
                                  account_id=int(bob.id))
    stack = api.stack
    await stack.posts.relay.stop()
    try:
        async with stack.posts.pool.acquire() as conn:
            assert (await store.add_favourite(conn, new_id(), int(bob.id), int(status["id"]),
                                              event)).done
        assert await stack.posts.pool.fetchval(
            "SELECT relay_after IS NULL FROM outbox WHERE id = $1", event.id) is True
    finally:
        await stack.posts.relay.start()
    await eventually_published(api, event)


async def test_a_rolled_back_write_hands_nothing(api: Api) -> None:
    """The rows go to the relay only at commit: an event of a write that did not happen must
    never be published."""
    async with handing_relay(api) as (_relay, handed):
        event = status_event()
        try:
            async with api.stack.posts.pool.acquire() as conn, conn.transaction():
                await outbox.add(conn, "posts", event)
                raise RuntimeError("the write fails after its event was added")
        except RuntimeError:
            pass
        kept, dropped = status_event(), status_event()
        async with api.stack.posts.pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, "posts", kept)
            try:
                async with conn.transaction():  # a savepoint, rolled back
                    await outbox.add(conn, "posts", dropped)
                    raise RuntimeError("the inner part fails")
            except RuntimeError:
                pass
        assert handed == [[kept.id]]
        await eventually_published(api, kept)
        assert await copies_in_stream(api.stack.settings, event.id) == 0
        assert await copies_in_stream(api.stack.settings, dropped.id) == 0


async def test_an_event_written_again_is_not_handed_again(api: Api) -> None:
    """A redelivered consumer writes the same event id again: the row exists (published long
    ago, perhaps outside JetStream's duplicate window), so nothing is handed."""
    async with handing_relay(api) as (_relay, handed):
        event = await written(api)
        await eventually_published(api, event)
        async with api.stack.posts.pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, "posts", event)
        assert handed == [[event.id]]


async def test_a_handed_row_left_unpublished_goes_by_the_poll_after_its_grace(api: Api) -> None:
    """The writer died after its commit, before publishing: the poll leaves the row alone for
    the grace (the writer is publishing it), then publishes it."""
    async with handing_relay(api) as (relay, handed):
        relay.hand = lambda rows: handed.append([r[0] for r in rows])  # type: ignore[method-assign]
        event = await written(api)
        assert handed == [[event.id]]
        assert await relay.relay_once() == 0  # inside the grace
        assert await published_at(api, event) is None
        await published_by_the_poll_once_its_grace_is_over(api, relay, event)


async def test_a_transaction_left_open_hands_nothing_to_the_next_user(settings: Settings) -> None:
    """A connection given back with its transaction open is rolled back by the pool; what its
    writer registered to run after the commit must not run at the next user's commit."""
    from shared import db

    pool = await db.create_pool(settings, "posts", max_size=1)
    called: list[str] = []
    try:
        async with pool.acquire() as conn:
            await conn.transaction().start()
            conn._con.after_commit(lambda: called.append("left open"))
        async with pool.acquire() as conn, conn.transaction():
            conn._con.after_commit(lambda: called.append("committed"))
        assert called == ["committed"]
    finally:
        await pool.close()


async def test_published_rows_are_pruned_after_a_day(api: Api) -> None:
    """The relay deletes what it published more than a day ago, and nothing else: not a row
    still to publish, however old."""
    async with relay_of_our_own(api) as relay:
        old_published, recent, old_unpublished = (await written(api), await written(api),
                                                  await written(api))
        pool = api.stack.posts.pool
        await pool.execute("UPDATE outbox SET published_at = now() - interval '25 hours' "
                           "WHERE id = $1", old_published.id)
        await pool.execute("UPDATE outbox SET published_at = now() WHERE id = $1", recent.id)
        await pool.execute("UPDATE outbox SET created_at = now() - interval '25 hours' "
                           "WHERE id = $1", old_unpublished.id)
        assert await relay.prune() >= 1
        left = {row["id"] for row in await pool.fetch(
            "SELECT id FROM outbox WHERE id = ANY($1::bigint[])",
            [old_published.id, recent.id, old_unpublished.id])}
        assert left == {recent.id, old_unpublished.id}


async def test_idempotency_rows_older_than_a_day_are_forgotten(api: Api) -> None:
    me = await api.user()
    r = await api.client.post("/api/v1/statuses", json={"status": "keyed"},
                              headers={**me.headers, "Idempotency-Key": "kept-a-day"})
    assert r.status_code == 200, r.text
    pool = api.stack.posts.pool
    assert await pool.fetchval("SELECT count(*) FROM idempotency_keys WHERE account_id = $1",
                               int(me.id)) == 1
    await pool.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
                       "WHERE account_id = $1", int(me.id))
    posts = api.stack.posts  # (the service's PostStatus does this every 1,000 statuses)
    await PostStatus(pool, posts.redis.lean, posts.nc, posts.settings).forget_old_keys()
    assert await pool.fetchval("SELECT count(*) FROM idempotency_keys WHERE account_id = $1",
                               int(me.id)) == 0


async def test_a_handed_row_whose_publish_fails_is_left_to_the_poll(api: Api) -> None:
    """NATS refused the hand-off's publish: the row stays unmarked, and the poll publishes it
    once its grace has passed."""
    async with handing_relay(api) as (relay, _handed):
        recording = relay.hand
        relay.hand = lambda rows: None  # type: ignore[method-assign]
        event = await written(api)
        relay.hand = recording  # type: ignore[method-assign]
        # A subject no stream takes: JetStream answers the publish with an error.
        relay.hand([(event.id, "hubbub.nowhere", events.encode(event), None)])
        await asyncio.sleep(outbox.MARK_EVERY_S + 0.3)
        assert await published_at(api, event) is None
        await published_by_the_poll_once_its_grace_is_over(api, relay, event)


async def test_a_relay_holds_at_most_so_many_handed_rows(api: Api) -> None:
    """NATS away for long: the hand-off stops taking rows (the poll takes them after their
    grace) rather than holding every write in memory."""
    relay = OutboxRelay(api.stack.posts.pool, api.stack.posts.js, "posts",
                        database_url=api.stack.settings.database_url)
    held: outbox.Handed = (1, "s", b"", None)
    relay.hand([held] * outbox.MAX_HANDED)
    relay.hand([held])
    assert len(relay._handed) == outbox.MAX_HANDED
