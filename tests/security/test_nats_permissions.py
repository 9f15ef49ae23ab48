"""The inside is sealed: each service connects to NATS as its own user, and the server refuses
what that user has no business doing. Against the real embedded server, which runs with the
same users and permissions as every other test (so the rest of the suite proves the rights are
enough, and these tests that they are no more)."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import nats
import nats.errors
import pytest
from nats.aio.client import Client as NATS

from shared import events, subjects
from shared.contracts import posts as posts_api
from shared.nats_users import (
    USERS,
    inbox_prefix,
    load,
    operator_url,
    secrets_path,
    servers_for,
)
from shared.settings import Settings

REFUSAL_WAIT_S = 3.0


@pytest.fixture(scope="module")
def sealed(servers: Settings) -> Settings:
    if load(servers.data_dir) is None:
        pytest.skip("NATS is an external server (HUBBUB_NATS_URL): its users are its own")
    return servers


class Refusals:
    """What the server refused this connection (nats-py reports it to the error callback)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.changed = asyncio.Event()

    async def record(self, exc: Exception) -> None:
        self.seen.append(str(exc).lower())
        self.changed.set()

    async def wait_for(self, what: str, subject: str) -> None:
        expected = f'permissions violation for {what} to "{subject}"'.lower()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REFUSAL_WAIT_S
        while not any(expected in seen for seen in self.seen):
            self.changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"not refused: {expected!r}; refusals: {self.seen}")
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                pass

    def assert_none(self) -> None:
        assert not any("permissions violation" in seen for seen in self.seen), self.seen


@asynccontextmanager
async def connected_as(settings: Settings, user: str) -> AsyncIterator[tuple[NATS, Refusals]]:
    refusals = Refusals()
    nc = await nats.connect(servers_for(settings, user), inbox_prefix=inbox_prefix(user),
                            error_cb=refusals.record, allow_reconnect=False,
                            connect_timeout=3)
    try:
        yield nc, refusals
    finally:
        await nc.close()


class Watcher:
    """The operator listening on a subject: a refused publish must never arrive there."""

    SENTINEL = b"--sentinel--"

    def __init__(self, nc: NATS, subject: str) -> None:
        self.nc = nc
        self.subject = subject
        self.messages: list[bytes] = []
        self._sentinel = asyncio.Event()

    async def on_message(self, msg) -> None:
        if msg.data == self.SENTINEL:
            self._sentinel.set()
        else:
            self.messages.append(msg.data)

    async def received(self, sender: NATS) -> list[bytes]:
        """Everything ``sender`` got through so far. Once its flush returns, the server has
        handled its publishes; the operator's sentinel, sent after, is delivered to the
        watcher after anything they routed here, so no sleep is needed."""
        await sender.flush()
        await self.nc.publish(self.subject, self.SENTINEL)
        await asyncio.wait_for(self._sentinel.wait(), 5)
        self._sentinel.clear()
        return self.messages


@asynccontextmanager
async def watching(settings: Settings, subject: str) -> AsyncIterator[Watcher]:
    nc = await nats.connect(operator_url(settings), allow_reconnect=False)
    try:
        watcher = Watcher(nc, subject)
        await nc.subscribe(subject, cb=watcher.on_message)
        await nc.flush()
        yield watcher
    finally:
        await nc.close()


async def test_fanout_cannot_publish_posts_events(sealed: Settings):
    subject = subjects.event("post.status.deleted")
    deleted = events.encode(events.StatusDeleted(status_id=1, account_id=2))
    async with watching(sealed, subject) as watcher, \
            connected_as(sealed, "fanout") as (fanout, refusals):
        await fanout.publish(subject, deleted)
        await refusals.wait_for("publish", subject)
        assert await watcher.received(fanout) == []


async def test_fanout_cannot_call_posts_delete(sealed: Settings):
    subject = posts_api.STATUS_DELETE.subject
    async with watching(sealed, subject) as watcher, \
            connected_as(sealed, "fanout") as (fanout, refusals):
        with pytest.raises(nats.errors.TimeoutError):
            await fanout.request(subject, b'{"id": 1, "account_id": 2}', timeout=1)
        await refusals.wait_for("publish", subject)
        assert await watcher.received(fanout) == []  # posts would never have seen it


async def test_fanout_can_call_what_it_calls(sealed: Settings):
    """The same connection is not refused everything: posts' recent statuses are its to ask."""
    subject = posts_api.STATUS_RECENT_BY_AUTHOR.subject
    async with watching(sealed, subject) as watcher, \
            connected_as(sealed, "fanout") as (fanout, refusals):
        await fanout.publish(subject, b"{}")
        assert await watcher.received(fanout) == [b"{}"]
    refusals.assert_none()


@pytest.mark.parametrize("user", ["posts", "graph", "fanout", "notify"])
async def test_only_gateways_read_live_subjects(sealed: Settings, user: str):
    """Direct messages travel on hubbub.live.>: no service but the gateway may listen."""
    received: list[bytes] = []

    async def on_message(msg) -> None:
        received.append(msg.data)

    subject = subjects.live_user(7)
    async with connected_as(sealed, user) as (nc, refusals), \
            watching(sealed, subject) as watcher, \
            connected_as(sealed, "notify") as (notify, _):
        await nc.subscribe("hubbub.live.>", cb=on_message)
        await nc.subscribe(subject, cb=on_message)
        await refusals.wait_for("subscription", "hubbub.live.>")
        await refusals.wait_for("subscription", subject)
        await notify.publish(subject, b"a direct message")
        # The message was published (the watcher has it), and did not reach the service.
        assert await watcher.received(notify) == [b"a direct message"]
        await nc.flush()
    assert received == []


async def test_gateway_reads_live_subjects(sealed: Settings):
    received = asyncio.Queue[bytes]()

    async def on_message(msg) -> None:
        received.put_nowait(msg.data)

    async with connected_as(sealed, "gateway") as (gateway, refusals), \
            connected_as(sealed, "notify") as (notify, _):
        await gateway.subscribe(subjects.live_user(7), cb=on_message)
        await gateway.flush()
        await notify.publish(subjects.live_user(7), b"hello")
        assert await asyncio.wait_for(received.get(), 5) == b"hello"
    refusals.assert_none()


@pytest.mark.parametrize("event_type", ["post.status.deleted", "graph.account.deactivated"])
async def test_gateway_cannot_publish_events(sealed: Settings, event_type: str):
    subject = subjects.event(event_type)
    async with watching(sealed, subject) as watcher, \
            connected_as(sealed, "gateway") as (gateway, refusals):
        await gateway.publish(subject, b"{}")
        await refusals.wait_for("publish", subject)
        assert await watcher.received(gateway) == []


async def test_posts_cannot_publish_graphs_events(sealed: Settings):
    subject = subjects.event("graph.account.deactivated")
    async with connected_as(sealed, "posts") as (posts, refusals):
        await posts.publish(subject, b"{}")
        await refusals.wait_for("publish", subject)


async def test_no_one_listens_to_anothers_replies(sealed: Settings):
    """Replies (a direct message's text among them) come to the asker's own inboxes only."""
    async with connected_as(sealed, "fanout") as (fanout, refusals):
        await fanout.subscribe("_INBOX.gateway.>")
        await fanout.subscribe("_INBOX.>")
        await refusals.wait_for("subscription", "_INBOX.gateway.>")
        await refusals.wait_for("subscription", "_INBOX.>")


async def test_services_cannot_touch_the_stream_or_others_consumers(sealed: Settings):
    stream = subjects.EVENTS_STREAM
    async with connected_as(sealed, "notify") as (notify, refusals):
        for subject in (f"$JS.API.STREAM.DELETE.{stream}", f"$JS.API.STREAM.PURGE.{stream}",
                        f"$JS.API.CONSUMER.DELETE.{stream}.fanout-home",
                        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.fanout-home"):
            await notify.publish(subject, b"")
            await refusals.wait_for("publish", subject)


async def test_serving_anothers_verbs_is_refused(sealed: Settings):
    """A process with fanout's password cannot pose as posts and answer its requests."""
    subject = posts_api.STATUS_GET.subject
    async with connected_as(sealed, "fanout") as (fanout, refusals):
        await fanout.subscribe(subject, queue="posts")
        await refusals.wait_for("subscription", subject)


@pytest.mark.parametrize("credentials", [None, "posts:wrong"])
async def test_unknown_clients_are_turned_away(sealed: Settings, credentials: str | None):
    host = sealed.nats_url.split("://", 1)[1].rsplit("@", 1)[-1]
    url = f"nats://{credentials}@{host}" if credentials else f"nats://{host}"
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0,
                           connect_timeout=3)


def test_passwords_are_random_and_private(sealed: Settings):
    path = secrets_path(sealed.data_dir)
    passwords = load(sealed.data_dir)
    assert passwords is not None and set(USERS) <= set(passwords)
    assert len(set(passwords.values())) == len(passwords)
    assert all(len(password) >= 32 for password in passwords.values())
    mode: Callable[[object], int] = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert mode(path.parent / "nats-server.conf") == 0o600
    assert sealed.nats_url and "@" not in sealed.nats_url  # no secret in the printed URL
