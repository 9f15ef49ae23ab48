"""A streaming session: what one connection watches, and each live event rendered for its
reader, through the visibility policy and the reader's blocks and mutes at delivery time.

Live messages on NATS carry ids only; the session hydrates and renders per reader. The queue is
bounded: a reader too slow to keep up overflows it and the transport cuts the connection (the
client catches up by REST with ``since_id``), without slowing anyone else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal

import msgspec

from services.gateway import scopes as scope_rules
from services.gateway.application.conversations import render_one as render_conversation
from services.gateway.application.notifications import render as render_notifications
from services.gateway.context import Gateway
from services.gateway.streaming.decide import (
    NOT_AT_HAND,
    Deliver,
    Needs,
    NotAtHand,
    Payload,
    decide,
)
from services.gateway.streaming.frames import Delivery
from services.gateway.streaming.reader_facts import ReaderFacts
from services.gateway.streaming.shared_statuses import (
    prepare_live,
    rendered_once,
    shared_status,
    with_filtered,
)
from shared import bus, errors, events, subjects
from shared.contracts import communities as communities_api
from shared.contracts import graph as graph_api
from shared.contracts import lists as lists_api
from shared.contracts import live
from shared.contracts import notify as notify_api
from shared.ids import parse_id
from shared.records import AccountRecord, StatusRecord

log = logging.getLogger(__name__)

# Sent on the ``user`` stream when the reader's content filters changed (no payload).
FILTERS_CHANGED = "filters_changed"

# Mastodon stream names -> the parameter each needs (None: none).
STREAMS = {
    "user": None, "user:notification": None, "public": None, "public:local": None,
    "public:media": None, "public:local:media": None, "hashtag": "tag", "hashtag:local": "tag",
    "list": "list", "direct": None, "community": "community",
}


class StreamRefused(Exception):
    """A subscription the reader may not have; the message says why."""

    status: int | None = None  # the HTTP status a server-sent events request answers


class StreamOutsideScopes(StreamRefused):
    """The token's scopes do not open this stream (services/gateway/scopes.STREAM_SCOPES)."""

    status = 403

    def __init__(self) -> None:
        super().__init__(scope_rules.OUTSIDE)


@dataclass(frozen=True)
class Watch:
    stream: str
    param: str | None
    subject: str

    @property
    def names(self) -> tuple[str, ...]:
        """As Mastodon labels events: ["user"], ["hashtag", "tag"], ["list", "42"]."""
        return (self.stream,) if self.param is None else (self.stream, self.param)


class Overflow(Exception):
    pass


def _param(stream: str, param: object) -> str:
    """The stream's parameter as the watch keys it: a hashtag checked and lower-cased
    (shared/subjects.hashtag, the rule its subject is built with), a list or community id as
    given ("" when missing; _subject checks the id). A bad one is refused before it comes
    near a subject: a subject the NATS server refuses closes the gateway's whole connection."""
    value = str(param or "").strip()
    if not value or not stream.startswith("hashtag"):
        return value
    try:
        return subjects.hashtag(value.removeprefix("#"))
    except subjects.UnsafeToken as exc:
        raise StreamRefused(str(exc)) from exc


# What a session's queue holds: deliveries already decided (on_live's fast path), or a message
# for events() to decide.
Queued = tuple[None, tuple[Delivery, ...]] | tuple[str, live.LiveMessage]


class StreamSession:
    def __init__(self, gw: Gateway, account: AccountRecord, queue_size: int, *,
                 max_watches: int = 50, scopes: frozenset[str] = frozenset()) -> None:
        self.gw = gw
        self.account = account
        self.scopes = scopes  # the token's: each subscription is checked against them
        # Each watch may be a NATS subscription of this gateway's: a connection holds few
        # (the transports pass HUBBUB_STREAM_MAX_SUBSCRIPTIONS).
        self.max_watches = max_watches
        self.queue: asyncio.Queue[Queued] = asyncio.Queue(queue_size)
        self.watches: dict[tuple[str, str | None], Watch] = {}
        self.overflowed = False
        self.facts = ReaderFacts(gw, account.id)
        self._watching = False
        # Set by a transport that can write a decided delivery at once (True: written); used
        # only while nothing is queued or being sent before it, so order is kept.
        self.write_now: Callable[[Delivery], bool] | None = None
        self._busy = False  # events() holds a message it has not finished handing out
        self.ended = False  # offboarded (its token revoked, its account deactivated)

    # --- subscriptions ---------------------------------------------------------------------

    def end(self) -> None:
        """Deliver nothing more, from now: the transport is closing the connection."""
        self.ended = True
        self.write_now = None

    def on_live(self, subject: str, message: live.LiveMessage) -> None:
        if self.ended:
            return
        ready = self.ready(subject, message)
        if ready == ():
            return  # decided already: nothing for this reader
        self._hand_out(ready, subject, message)

    def on_fact_change(self, event: events.Event) -> None:
        """Graph says the reader's facts changed (fact_changes.py): learn them again; a change
        to the reader's content filters is told to the ``user`` stream too, as Mastodon's
        ``filters_changed`` (no payload), for clients to read their filters again."""
        self.facts.changed(event)
        if self.ended or not isinstance(event, events.FiltersChanged):
            return
        watch = self.watches.get(("user", None))
        if watch is not None:
            self._hand_out((Delivery(watch.names, FILTERS_CHANGED, "", True),))

    def _hand_out(self, ready: tuple[Delivery, ...] | None, subject: str = "",
                  message: live.LiveMessage | None = None) -> None:
        """Deliveries decided (``ready``), written at once when nothing is ahead of them, else
        queued; or, undecided (None), the message queued for events() to decide."""
        if (ready is not None and self.write_now is not None and not self._busy
                and self.queue.empty() and not self.overflowed):
            for n, delivery in enumerate(ready):
                if not self.write_now(delivery):
                    ready = ready[n:]  # the rest the ASGI way, after what was written
                    break
            else:
                return
        if self.overflowed:
            return  # dropped: the transport is closing the connection
        try:
            # Deliveries decided here, or the message for events() to decide.
            if ready is not None:
                self.queue.put_nowait((None, ready))
            else:
                assert message is not None
                self.queue.put_nowait((subject, message))
        except asyncio.QueueFull:
            self.overflowed = True

    async def subscribe(self, stream: str, param: object = None) -> Watch:
        if stream not in STREAMS:
            raise StreamRefused(f"Unknown stream type: {stream}")
        if not scope_rules.stream_permitted(self.scopes, stream):
            raise StreamOutsideScopes
        needed = STREAMS[stream]
        value = None if needed is None else _param(stream, param)
        if needed is not None and not value:
            raise StreamRefused(f"Missing {needed} for stream {stream}")
        if (stream, value) not in self.watches and len(self.watches) >= self.max_watches:
            raise StreamRefused(f"Too many subscriptions on this connection "
                                f"(at most {self.max_watches})")
        subject = await self._subject(stream, value)
        if not self._watching:
            self._watching = True
            await self.gw.fact_changes.watch(self.account.id, self.on_fact_change)
            if self.gw.hub.prepare is None:
                self.gw.hub.prepare = lambda message: prepare_live(self.gw, message)
        await self.facts.get()  # learn the reader's follows, blocks and mutes before events come
        watch = Watch(stream, value, subject)
        key = (watch.stream, watch.param)
        if key not in self.watches:
            self.watches[key] = watch
            await self.gw.hub.add(subject, self.on_live)
        return watch

    async def unsubscribe(self, stream: str, param: object = None) -> None:
        value = None if param is None else _param(stream, param)
        watch = self.watches.pop((stream, value), None)
        if watch and all(w.subject != watch.subject for w in self.watches.values()):
            await self.gw.hub.remove(watch.subject, self.on_live)

    async def close(self) -> None:
        if self._watching:
            self._watching = False
            self.gw.fact_changes.unwatch(self.account.id, self.on_fact_change)
        await self.facts.close()
        for subject in {w.subject for w in self.watches.values()}:
            await self.gw.hub.remove(subject, self.on_live)
        self.watches.clear()

    async def _subject(self, stream: str, value: str | None) -> str:
        me = self.account
        if stream in ("user", "user:notification", "direct"):
            return subjects.live_user(me.id)
        if stream in ("public", "public:local", "public:media", "public:local:media"):
            return subjects.live_network(me.network_id)
        if stream in ("hashtag", "hashtag:local"):
            assert value is not None  # _param checked it
            return subjects.live_tag(me.network_id, value)
        target = parse_id(value)
        if target is None:
            raise StreamRefused(f"No such {stream}")
        if stream == "list":
            try:
                await bus.call(self.gw.nc, graph_api.LIST_GET,
                               lists_api.ListRef(account_id=me.id, id=target))
            except errors.NotFound as exc:
                raise StreamRefused("No such list") from exc
            return subjects.live_list(target)
        try:
            community = await bus.call(
                self.gw.nc, graph_api.COMMUNITY_GET,
                communities_api.CommunityRef(account_id=me.id, community_id=target))
        except errors.NotFound as exc:
            raise StreamRefused("No such community") from exc
        if community.role is None:
            raise StreamRefused("You are not a member of this community")
        return subjects.live_community(target)

    # --- delivery ---------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[Delivery]:
        """Each delivery, until the queue overflows."""
        while True:
            if self.overflowed:
                raise Overflow
            self._busy = False
            item = await self.queue.get()
            self._busy = True
            if item[0] is None:  # decided in on_live
                for delivery in item[1]:
                    yield delivery
                continue
            subject, message = item
            for watch in list(self.watches.values()):
                if watch.subject != subject:
                    continue
                try:
                    rendered = await self.render(watch, message)
                except errors.HubbubError as exc:
                    # A service slow to answer costs this one event (at-most-once, caught up by
                    # REST), never the connection.
                    log.warning("streaming: skipped %s for %s: %s", message.event,
                                self.account.id, exc.message)
                    continue
                if rendered is not None:
                    yield rendered

    def ready(self, subject: str, message: live.LiveMessage) -> tuple[Delivery, ...] | None:
        """This message's deliveries, decided now (streaming/decide.py) when all they need is
        at hand: a delete, or a new status fetched and rendered for this gateway already
        (prepare_live) with the reader's facts fresh. The common case of a post reaching many
        readers then costs each one no wait and no task switch before its frame is queued.
        None: not at hand, or the reader's own payload to render; render() decides then."""
        status: StatusRecord | None | Literal[NotAtHand.NOT_AT_HAND] = NOT_AT_HAND
        facts = None
        if message.event == "update" and message.status_id is not None:
            found = self.gw.status_fetches.peek(message.status_id)
            if found is not None:  # (None: not fetched lately, or gone: render() asks)
                status = found
                facts = self.facts.now()
        deliveries = []
        status_json = None  # the status's shared JSON, looked up once for all watches
        for watch in self.watches.values():
            if watch.subject != subject:
                continue
            verdict = decide(watch.stream, message, status, facts,
                             filters=self.facts.filters)
            if verdict is None:
                continue
            if not isinstance(verdict, Deliver):
                return None  # something not at hand (Needs): render() fetches it
            if verdict.payload in (Payload.STATUS, Payload.FILTERED_STATUS):
                if status_json is None:
                    if not isinstance(status, StatusRecord):
                        return None  # (not expected: decide() delivers a status it was given)
                    rendered, status_json = self.gw.render_cache.peek(status)
                    if not rendered or status_json is None:
                        return None
                payload = (status_json if verdict.filtered is None
                           else with_filtered(status_json, verdict.filtered))
            elif verdict.payload is Payload.DELETE:
                payload = str(message.status_id)
            else:
                return None  # the reader's own conversation or notification
            deliveries.append(Delivery(watch.names, verdict.event, payload, verdict.shared))
        return tuple(deliveries)

    async def render(self, watch: Watch, message: live.LiveMessage) -> Delivery | None:
        """The delivery as this reader should get it on ``watch``, or None to skip it: decided
        as ready() does (streaming/decide.py), with each thing it needs fetched."""
        hydrator = self.gw.hydrator
        assert hydrator is not None
        status: StatusRecord | None | Literal[NotAtHand.NOT_AT_HAND] = NOT_AT_HAND
        facts = None
        verdict = decide(watch.stream, message)
        if verdict is Needs.STATUS:
            assert message.status_id is not None
            status = await shared_status(self.gw, message.status_id,
                                         fresh=message.event == "status.update")
            verdict = decide(watch.stream, message, status)
        if verdict is Needs.FACTS:
            facts = await self.facts.get()
            verdict = decide(watch.stream, message, status, facts, filters=self.facts.filters)
        if verdict is Needs.ORIGINAL:
            assert isinstance(status, StatusRecord) and status.reblog_of_id is not None
            original = (await hydrator.with_originals([status])).get(status.reblog_of_id)
            verdict = decide(watch.stream, message, status, facts, original,
                             filters=self.facts.filters)
        if verdict is None:
            return None
        assert isinstance(verdict, Deliver)
        if verdict.payload is Payload.DELETE:
            payload: str | None = str(message.status_id)
        elif verdict.payload is Payload.NOTIFICATION:
            payload = await self._notification(message)
        elif verdict.payload is Payload.CONVERSATION:
            payload = await self._conversation(message)
        else:
            assert isinstance(status, StatusRecord)
            payload = await rendered_once(self.gw, status)
            if payload is not None and verdict.filtered is not None:
                payload = with_filtered(payload, verdict.filtered)
        if payload is None:
            return None
        return Delivery(watch.names, verdict.event, payload, verdict.shared)

    async def _notification(self, message: live.LiveMessage) -> str | None:
        assert message.notification_id is not None
        try:
            record = await bus.call(
                self.gw.nc, notify_api.NOTIFICATION_GET,
                notify_api.GetNotification(account_id=self.account.id,
                                           id=message.notification_id))
        except errors.NotFound:
            return None
        await self.facts.get()  # the reader's content filters as of now (``notifications``)
        shaped = await render_notifications(self.gw, [record], self.account.id,
                                            self.facts.filters)
        if not shaped:
            return None
        return msgspec.json.encode(shaped[0]).decode()

    async def _conversation(self, message: live.LiveMessage) -> str | None:
        """The reader's conversation as GET /api/v1/conversations shows it (one renderer for
        both), or None: gone, removed, or its last status is not the one notify told of (a
        newer one follows with its own message; an author the reader blocked is left out)."""
        assert message.conversation_id is not None
        viewer, _ = await self.facts.get()
        shaped = await render_conversation(self.gw, message.conversation_id, viewer)
        last = shaped["last_status"] if shaped is not None else None
        if last is None or last["id"] != str(message.status_id):
            return None
        return msgspec.json.encode(shaped).decode()
