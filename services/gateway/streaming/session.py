"""A streaming session: what one connection watches, and each live event rendered for its
reader, through the visibility policy and the reader's blocks and mutes at delivery time.

Live messages on NATS carry ids only; the session hydrates and renders per reader. The queue is
bounded: a reader too slow to keep up overflows it and the transport cuts the connection (the
client catches up by REST with ``since_id``), without slowing anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import msgspec

from services.gateway.context import Gateway
from services.gateway.hydrate import post_facts
from services.gateway.routes.notifications import render as render_notifications
from services.gateway.streaming.fact_changes import FactChanges
from services.gateway.streaming.frames import Delivery
from shared import bus, errors, policy, subjects
from shared.contracts import communities as communities_api
from shared.contracts import graph as graph_api
from shared.contracts import lists as lists_api
from shared.contracts import live
from shared.contracts import notify as notify_api
from shared.ids import parse_id
from shared.records import AccountRecord

log = logging.getLogger(__name__)
# A session trusts its reader's follows, blocks, mutes and communities until graph's events say
# they changed (streaming/fact_changes.py), until the reader's first timed mute ends (graph says
# when: no event marks that moment), or for at most this long: the safety net for an event
# missed while this gateway was away from NATS.
FACTS_TTL_S = 300.0
# From a random age in this range, a delivery refreshes the facts in the background: a
# delivery waits for graph only when the facts are older than FACTS_TTL_S (an idle session) or
# known changed. Refreshing on the delivery path put a graph request in front of every reader's
# first event after the TTL, and readers who connected together (a reconnect storm, the live
# bench) all asked graph in the same second: a burst that held up their deliveries.
FACTS_REFRESH_FROM_S = (FACTS_TTL_S / 2, FACTS_TTL_S * 3 / 4)

# Mastodon stream names -> the parameter each needs (None: none).
STREAMS = {
    "user": None, "user:notification": None, "public": None, "public:local": None,
    "hashtag": "tag", "hashtag:local": "tag", "list": "list", "direct": None,
    "community": "community",
}


_MISSING = object()


class RenderCache:
    """Each status version rendered once per gateway, for every connection that gets it: a
    post to 1,000 followers on one gateway is one hydration, not 1,000. Streamed statuses carry
    no reader flags (a status just posted or edited has none yet), as Mastodon streams them."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[int, int], str | None] = OrderedDict()
        self.pending: dict[tuple[int, int], asyncio.Future] = {}

    def peek(self, status) -> tuple[bool, str | None]:
        """(rendered already, its JSON): no wait."""
        key = (status.id, status.version)
        payload = self.entries.get(key, _MISSING)
        return (False, None) if payload is _MISSING else (True, payload)

    async def get(self, gw: Gateway, status) -> str | None:
        key = (status.id, status.version)
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        if key in self.pending:  # another connection is rendering it right now
            return await asyncio.shield(self.pending[key])
        future = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        try:
            assert gw.hydrator is not None
            rendered = await gw.hydrator.render_statuses([status])
            payload = msgspec.json.encode(rendered[0]).decode() if rendered else None
            self.entries[key] = payload
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
            future.set_result(payload)
            return payload
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiting connections get it raised
            raise
        finally:
            del self.pending[key]


class StatusFetches:
    """One fetch of a just-delivered status per gateway, shared by every connection that
    receives it in the same moment (a post reaching 1,000 readers is one Redis read)."""

    TTL_S = 2.0

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: OrderedDict[int, tuple[float, object]] = OrderedDict()
        self.pending: dict[int, asyncio.Future] = {}

    def remember(self, status) -> None:
        """A record known fresh (just created here): readers in the next TTL_S take it."""
        self.entries[status.id] = (time.monotonic(), status)
        self.entries.move_to_end(status.id)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def peek(self, status_id: int):
        """The record fetched in the last TTL_S (None: not at hand, or no such status)."""
        entry = self.entries.get(status_id)
        if entry is not None and time.monotonic() - entry[0] < self.TTL_S:
            return entry[1]
        return None

    async def get(self, gw: Gateway, status_id: int, *, fresh: bool):
        now = time.monotonic()
        entry = self.entries.get(status_id)
        if entry is not None and not fresh and now - entry[0] < self.TTL_S:
            return entry[1]
        if status_id in self.pending and not fresh:
            return await asyncio.shield(self.pending[status_id])
        future = asyncio.get_running_loop().create_future()
        self.pending[status_id] = future
        try:
            assert gw.hydrator is not None
            found = (await gw.hydrator.statuses([status_id])).get(status_id)
            self.entries[status_id] = (time.monotonic(), found)
            self.entries.move_to_end(status_id)
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
            future.set_result(found)
            return found
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        finally:
            if self.pending.get(status_id) is future:
                del self.pending[status_id]


def status_fetches_of(gw: Gateway) -> StatusFetches:
    fetches = getattr(gw, "status_fetches", None)
    if fetches is None:
        fetches = gw.status_fetches = StatusFetches()
    return fetches


async def shared_status(gw: Gateway, status_id: int, *, fresh: bool = False):
    return await status_fetches_of(gw).get(gw, status_id, fresh=fresh)


def render_cache_of(gw: Gateway) -> RenderCache:
    cache = getattr(gw, "render_cache", None)
    if cache is None:
        cache = gw.render_cache = RenderCache()
    return cache


async def rendered_once(gw: Gateway, status) -> str | None:
    return await render_cache_of(gw).get(gw, status)


async def prepare_live(gw: Gateway, message: live.LiveMessage) -> None:
    """Before a message for many readers is handed to their sessions: its status fetched and
    rendered once, so that each session finds them at hand (StreamSession.ready) instead of
    a thousand sessions waiting on the first one's fetch."""
    if message.event != "update" or message.status_id is None:
        return
    try:
        found = await shared_status(gw, message.status_id)
        if found is not None:
            await rendered_once(gw, found)
    except errors.HubbubError as exc:  # each session tries again on its own path
        log.warning("streaming: preparing %s failed: %s", message.status_id, exc.message)


async def render_new_status(gw: Gateway, status) -> str | None:
    """A status just created through this gateway, rendered once for its author's response and
    for every local reader it is about to be streamed to: fanout's live message, moments later,
    finds the record and its JSON here (no Redis read, no second render)."""
    status_fetches_of(gw).remember(status)
    return await rendered_once(gw, status)


async def fact_changes_of(gw: Gateway) -> FactChanges:
    changes = getattr(gw, "fact_changes", None)
    if changes is None:
        assert gw.nc is not None and gw.hub is not None
        changes = gw.fact_changes = FactChanges(gw.nc)
        gw.hub.on_close(changes.close)
    return changes


class StreamRefused(Exception):
    """A subscription the reader may not have; the message says why."""


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


class StreamSession:
    def __init__(self, gw: Gateway, account: AccountRecord, queue_size: int) -> None:
        self.gw = gw
        self.account = account
        self.queue: asyncio.Queue[tuple[str, live.LiveMessage]] = asyncio.Queue(queue_size)
        self.watches: dict[tuple[str, str | None], Watch] = {}
        self.overflowed = False
        self._viewer: policy.Viewer | None = None
        self._hidden: set[int] = set()
        self._facts_at = 0.0
        self._facts_ttl = FACTS_TTL_S  # shorter while a timed mute is about to end
        self._refresh_from = random.uniform(*FACTS_REFRESH_FROM_S)
        self._refreshing: asyncio.Task[None] | None = None
        # Graph's events counted here (fact_changes); facts learned before the latest are stale.
        self._changes = self._changes_learned = 0
        self._reconnects_learned = -1
        self._watching = False
        # Set by a transport that can write a decided delivery at once (True: written); used
        # only while nothing is queued or being sent before it, so order is kept.
        self.write_now: Callable[[Delivery], bool] | None = None
        self._busy = False  # events() holds a message it has not finished handing out

    # --- subscriptions ---------------------------------------------------------------------

    def on_live(self, subject: str, message: live.LiveMessage) -> None:
        ready = self.ready(subject, message)
        if ready == ():
            return  # decided already: nothing for this reader
        if (ready is not None and self.write_now is not None and not self._busy
                and self.queue.empty() and not self.overflowed):
            for n, delivery in enumerate(ready):
                if not self.write_now(delivery):
                    ready = ready[n:]  # the rest the ASGI way, after what was written
                    break
            else:
                return
        try:
            # Deliveries decided here, or the message for events() to decide.
            self.queue.put_nowait((None, ready) if ready is not None else (subject, message))
        except asyncio.QueueFull:
            self.overflowed = True
            self.queue.put_nowait = self._drop  # type: ignore[method-assign]

    @staticmethod
    def _drop(_item) -> None:
        pass  # already overflowed: the transport is closing the connection

    async def subscribe(self, stream: str, param: object = None) -> Watch:
        if stream not in STREAMS:
            raise StreamRefused(f"Unknown stream type: {stream}")
        needed = STREAMS[stream]
        value = None if needed is None else str(param or "").strip().lstrip("#")
        if needed is not None and not value:
            raise StreamRefused(f"Missing {needed} for stream {stream}")
        subject = await self._subject(stream, value)
        if not self._watching:
            self._watching = True
            await (await fact_changes_of(self.gw)).watch(self.account.id, self.facts_changed)
            assert self.gw.hub is not None
            if self.gw.hub.prepare is None:
                self.gw.hub.prepare = lambda message: prepare_live(self.gw, message)
        await self._facts()  # learn the reader's follows, blocks and mutes before events come
        watch = Watch(stream, value.lower() if stream.startswith("hashtag") and value else value,
                      subject)
        key = (watch.stream, watch.param)
        if key not in self.watches:
            self.watches[key] = watch
            assert self.gw.hub is not None
            await self.gw.hub.add(subject, self.on_live)
        return watch

    async def unsubscribe(self, stream: str, param: object = None) -> None:
        value = None if param is None else str(param).strip().lstrip("#")
        if stream.startswith("hashtag") and value:
            value = value.lower()
        watch = self.watches.pop((stream, value), None)
        if watch and all(w.subject != watch.subject for w in self.watches.values()):
            assert self.gw.hub is not None
            await self.gw.hub.remove(watch.subject, self.on_live)

    async def close(self) -> None:
        if self._watching:
            self._watching = False
            (await fact_changes_of(self.gw)).unwatch(self.account.id, self.facts_changed)
        if self._refreshing is not None:
            self._refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._refreshing
        assert self.gw.hub is not None
        for subject in {w.subject for w in self.watches.values()}:
            await self.gw.hub.remove(subject, self.on_live)
        self.watches.clear()

    async def _subject(self, stream: str, value: str | None) -> str:
        me = self.account
        if stream in ("user", "user:notification", "direct"):
            return subjects.live_user(me.id)
        if stream in ("public", "public:local"):
            return subjects.live_network(me.network_id)
        if stream in ("hashtag", "hashtag:local"):
            return subjects.live_tag(f"{me.network_id}.{value.lower()}")  # type: ignore[union-attr]
        assert self.gw.nc is not None
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
            subject, message = await self.queue.get()
            self._busy = True
            if subject is None:  # decided in on_live
                for delivery in message:
                    yield delivery
                continue
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
                    event, payload = rendered
                    # Status and delete payloads are the same for every reader; notifications
                    # and conversations are the reader's own.
                    yield Delivery(watch.names, event, payload,
                                   event not in ("notification", "conversation"))

    def facts_changed(self) -> None:
        """Graph says the reader's facts changed: the next delivery waits for new ones, which
        are already being asked for."""
        self._changes += 1
        if self._refreshing is None:
            self._refreshing = asyncio.create_task(self._refresh_facts())

    def _facts_now(self) -> tuple[policy.Viewer, set[int]] | None:
        """The reader's follows, blocks and mutes if they can be trusted (none of graph's
        changes since, no timed mute ended since, at most FACTS_TTL_S old), else None."""
        age = time.monotonic() - self._facts_at
        assert self.gw.nc is not None
        if (self._viewer is None or age > self._facts_ttl
                or self._changes_learned != self._changes
                # Away from NATS, this gateway may have missed a change.
                or self._reconnects_learned != self.gw.nc.stats["reconnects"]):
            return None
        if age > self._refresh_from and self._refreshing is None:
            self._refreshing = asyncio.create_task(self._refresh_facts())
        return self._viewer, self._hidden

    async def _facts(self) -> tuple[policy.Viewer, set[int]]:
        facts = self._facts_now()
        if facts is None:
            await self._learn_facts()
            assert self._viewer is not None
            facts = self._viewer, self._hidden
        return facts

    async def _learn_facts(self) -> None:
        assert self.gw.nc is not None
        asked_at, changes = time.monotonic(), self._changes
        reconnects = self.gw.nc.stats["reconnects"]
        facts = await bus.call(self.gw.nc, graph_api.VIEWER_FACTS,
                               graph_api.ViewerFacts(account_id=self.account.id))
        # As of when they were asked: a change counted since then makes them stale at once.
        self._viewer, self._facts_at = facts.viewer(), asked_at
        # Hidden: muted (timed mutes not yet ended), blocked, or blocking the reader, as
        # graph's viewer.hidden answers, from the same reply.
        self._hidden = {*facts.blocked, *facts.muted}
        # Measured from before the question: a refresh comes a little early, never late.
        self._facts_ttl = (FACTS_TTL_S if facts.mute_ends_in_s is None
                           else min(FACTS_TTL_S, facts.mute_ends_in_s))
        self._changes_learned, self._reconnects_learned = changes, reconnects
        self._refresh_from = random.uniform(*FACTS_REFRESH_FROM_S)

    async def _refresh_facts(self) -> None:
        try:
            await self._learn_facts()
            if self._changes_learned != self._changes:  # changed again while asking
                await self._learn_facts()
        except Exception as exc:  # graph slow or away: a delivery asks again when it must
            log.warning("streaming: refreshing %s's facts failed: %r", self.account.id, exc)
        finally:
            self._refreshing = None

    def ready(self, subject: str, message: live.LiveMessage) -> tuple[Delivery, ...] | None:
        """This message's deliveries, decided now when all they need is at hand: a delete, or
        a new status fetched and rendered for this gateway already (prepare_live) with the
        reader's facts fresh. The common case of a post reaching many readers then costs each
        one no wait and no task switch before its frame is queued. None: not at hand, or a
        case (reblog, direct) left to render(), which decides the same way with what it
        fetches."""
        watches = [w for w in self.watches.values() if w.subject == subject]
        event, status_id = message.event, message.status_id
        if event == "delete" and status_id is not None:
            return tuple(Delivery(w.names, "delete", str(status_id), True) for w in watches
                         if w.stream != "user:notification")
        if event != "update" or status_id is None:
            return None
        found = status_fetches_of(self.gw).peek(status_id)
        if found is None or found.reblog_of_id is not None:
            return None
        rendered, payload = render_cache_of(self.gw).peek(found)
        facts = self._facts_now()
        if not rendered or payload is None or facts is None:
            return None
        viewer, hidden = facts
        facts_of_post = post_facts(found)
        # As render() decides, for a status that is not a reblog.
        if not policy.can_see(facts_of_post, viewer) or found.account_id in hidden:
            return ()
        deliveries = []
        for watch in watches:
            if watch.stream == "direct":
                return None
            if watch.stream == "user:notification":
                continue
            if watch.stream not in ("user", "list") and not (
                    policy.in_public_timeline(facts_of_post) or found.community_id):
                continue
            deliveries.append(Delivery(watch.names, "update", payload, True))
        return tuple(deliveries)

    async def render(self, watch: Watch, message: live.LiveMessage
                     ) -> tuple[str, str] | None:
        """(event, payload) as this reader should get it, or None to skip it."""
        if message.event == "notification":
            if watch.stream not in ("user", "user:notification"):
                return None
            return await self._notification(message)
        if watch.stream == "user:notification" or message.status_id is None:
            return None
        if message.event == "delete":
            return "delete", str(message.status_id)
        hydrator = self.gw.hydrator
        assert hydrator is not None
        found = await shared_status(self.gw, message.status_id,
                                    fresh=message.event == "status.update")
        if found is None:
            return None
        viewer, hidden = await self._facts()
        # Visibility at delivery: the policy, and the reader's blocks and mutes, as of now.
        if not await hydrator.visible([found], viewer):
            return None
        if not await hydrator.without_authors([found], hidden):
            return None
        if watch.stream == "direct":
            if found.visibility != policy.DIRECT:
                return None
            return "conversation", await self._conversation(found)
        if watch.stream not in ("user", "list") and not (
                policy.in_public_timeline(post_facts(found)) or found.community_id):
            return None  # only public posts on public, hashtag and community streams
        payload = await rendered_once(self.gw, found)
        if payload is None:
            return None
        return message.event, payload

    async def _notification(self, message: live.LiveMessage) -> tuple[str, str] | None:
        if message.notification_id is None:
            return None
        assert self.gw.nc is not None
        try:
            record = await bus.call(
                self.gw.nc, notify_api.NOTIFICATION_GET,
                notify_api.GetNotification(account_id=self.account.id,
                                           id=message.notification_id))
        except errors.NotFound:
            return None
        shaped = await render_notifications(self.gw, [record], self.account.id)
        if not shaped:
            return None
        return "notification", msgspec.json.encode(shaped[0]).decode()

    async def _conversation(self, status) -> str:
        hydrator = self.gw.hydrator
        assert hydrator is not None
        [rendered] = await hydrator.render_statuses([status], self.account.id)
        others = [i for i in {status.account_id, *status.mentions} if i != self.account.id]
        accounts = await hydrator.accounts(others)
        from services.gateway.presenters import mastodon

        return msgspec.json.encode({
            "id": str(status.in_reply_to_id or status.id),
            "unread": status.account_id != self.account.id,
            "accounts": [mastodon.account(accounts[i], self.gw.base_url)
                         for i in others if i in accounts],
            "last_status": rendered,
        }).decode()
