"""One NATS subscription per live subject per gateway process, shared by every local client
that watches it. A gateway subscribes only to what its connected clients watch, so N gateways
scale sideways with no shared state but NATS."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from shared.contracts import live

log = logging.getLogger(__name__)

Listener = Callable[[str, live.LiveMessage], None]  # (subject, message); must not block


class LiveHub:
    def __init__(self, nc: NATS) -> None:
        self.nc = nc
        self._subs: dict[str, Subscription] = {}
        self._listeners: dict[str, set[Listener]] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Run ``closer`` when the hub closes (what lives as long as the streaming does)."""
        self._closers.append(closer)

    async def add(self, subject: str, listener: Listener) -> None:
        listeners = self._listeners.setdefault(subject, set())
        listeners.add(listener)
        if subject not in self._subs:
            self._subs[subject] = await self.nc.subscribe(subject, cb=self._dispatch)
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
        for listener in list(self._listeners.get(msg.subject, ())):
            listener(msg.subject, message)

    async def close(self) -> None:
        for closer in self._closers:
            try:
                await closer()
            except Exception as exc:
                log.warning("live hub: closing %r failed: %s", closer, exc)
        self._closers.clear()
        for sub in self._subs.values():
            try:
                await sub.unsubscribe()
            except Exception:
                pass
        self._subs.clear()
        self._listeners.clear()

    @property
    def subject_count(self) -> int:
        return len(self._subs)
