"""One NATS subscription per live subject per gateway process, shared by every local client
that watches it. A gateway subscribes only to what its connected clients watch, so N gateways
scale sideways with no shared state but NATS.

Messages for many users at once (``hubbub.live.users``, fanout's status deliveries) reach every
gateway that holds a user stream; each hands the message to the listeners of those users'
subjects it holds, as if it had come on each user's own subject."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from shared import ids, metrics, subjects, tracing
from shared.contracts import live

log = logging.getLogger(__name__)

USER_PREFIX = subjects.live_user(0)[:-1]  # "hubbub.live.user."
Listener = Callable[[str, live.LiveMessage], None]  # (subject, message); must not block


class LiveHub:
    def __init__(self, nc: NATS) -> None:
        self.nc = nc
        self._subs: dict[str, Subscription] = {}
        self._listeners: dict[str, set[Listener]] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._batches: Subscription | None = None
        # Awaited once before a message for several listeners is handed to them (the
        # streaming sessions set it: the status fetched and rendered once for all of them).
        self.prepare: Callable[[live.LiveMessage], Awaitable[None]] | None = None

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Run ``closer`` when the hub closes (what lives as long as the streaming does)."""
        self._closers.append(closer)

    async def add(self, subject: str, listener: Listener) -> None:
        listeners = self._listeners.setdefault(subject, set())
        listeners.add(listener)
        if subject not in self._subs:
            self._subs[subject] = await self.nc.subscribe(subject, cb=self._dispatch)
            if self._batches is None and subject.startswith(USER_PREFIX):
                self._batches = await self.nc.subscribe(subjects.live_users(),
                                                        cb=self._dispatch_batch)
            await self.nc.flush()  # the subscription is known to the server before we return

    async def remove(self, subject: str, listener: Listener) -> None:
        listeners = self._listeners.get(subject)
        if not listeners:
            return
        listeners.discard(listener)
        if not listeners:
            del self._listeners[subject]
            sub = self._subs.pop(subject, None)
            if sub is not None:
                try:
                    await sub.unsubscribe()
                except Exception:  # connection closing
                    pass

    async def _dispatch(self, msg: Msg) -> None:
        try:
            message = live.decode(msg.data)
        except Exception:
            log.warning("undecodable live message on %s", msg.subject)
            return
        with tracing.span("gateway live push", parent=msg.headers or {}, kind="consumer"):
            if len(self._listeners.get(msg.subject, ())) > 1 and self.prepare is not None:
                await self.prepare(message)  # a public or hashtag stream, say
            for listener in list(self._listeners.get(msg.subject, ())):
                listener(msg.subject, message)
        _delivered(message)

    async def _dispatch_batch(self, msg: Msg) -> None:
        try:
            batch = live.decode_batch(msg.data)
        except Exception:
            log.warning("undecodable live batch on %s", msg.subject)
            return
        message = batch.message()
        # The span covers the readers' socket writes (the listeners write at once when they
        # can: streaming/session.py); a child of fanout's, when tracing is on.
        with tracing.span("gateway live push", parent=msg.headers or {}, kind="consumer",
                          attributes={"hubbub.readers": len(batch.user_ids)}):
            if self.prepare is not None:
                await self.prepare(message)
            for user_id in batch.user_ids:
                subject = f"{USER_PREFIX}{user_id}"
                listeners = self._listeners.get(subject)
                if listeners:
                    for listener in list(listeners):
                        listener(subject, message)
        _delivered(message)

    async def close(self) -> None:
        for closer in self._closers:
            try:
                await closer()
            except Exception as exc:
                log.warning("live hub: closing %r failed: %s", closer, exc)
        self._closers.clear()
        for sub in [*self._subs.values(), *([self._batches] if self._batches else [])]:
            try:
                await sub.unsubscribe()
            except Exception:
                pass
        self._subs.clear()
        self._batches = None
        self._listeners.clear()

    @property
    def subject_count(self) -> int:
        return len(self._subs)


def _delivered(message: live.LiveMessage) -> None:
    """Delivery latency: a new post's frames are handed to this gateway's sockets now. Once per
    message and gateway, not per reader (a post to 1,000 readers costs one observation); a
    reader whose frame waits in its queue (a slow socket) is not counted apart. The post's id
    says when posts accepted it (shared/ids.py): an edit or a boost's old id is not a new
    post, so only "update" counts, and only a status made within the last hour."""
    if message.event != "update" or message.status_id is None:
        return
    seconds = time.time() - ids.created_ms(message.status_id) / 1000
    if 0 <= seconds < 3600:
        metrics.DELIVERY_SECONDS.observe(seconds)
