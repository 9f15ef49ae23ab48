"""Tells streaming sessions when their reader's facts changed: graph's events for follows,
blocks, mutes, community membership and content filters reach every gateway (a plain NATS
subscription on their JetStream subjects, one per gateway process), and each names the readers
it concerns.

A session trusts its reader's facts until one of these says otherwise, so a block or an
unfollow takes effect on open streams within milliseconds, and graph is not asked every few
seconds by every connection just in case (1,000 open sessions refreshing every 20 s were ~50
requests of six queries each per second, for nothing). Events are published after graph's
commit, so facts asked for after one arrives include its change. A session still refreshes on
a long timer (reader_facts.FACTS_TTL_S), the safety net for an event this gateway missed while away
from NATS; and when the reader's first timed mute ends (no event marks that moment: graph's
facts say when).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from shared import events, subjects

log = logging.getLogger(__name__)

# Each event that changes someone's follows, blocks, mutes or communities -> the fields naming
# whose. A block changes both sides (each stops seeing the other).
CONCERNS: dict[type[events.Event], tuple[str, ...]] = {
    events.FollowCreated: ("follower_id",),
    events.FollowRemoved: ("follower_id",),
    events.BlockCreated: ("account_id", "target_id"),
    events.BlockRemoved: ("account_id", "target_id"),
    events.MuteCreated: ("account_id",),
    events.MuteRemoved: ("account_id",),
    events.CommunityJoined: ("account_id",),
    events.CommunityLeft: ("account_id",),
    events.FiltersChanged: ("account_id",),  # the reader's content filters
}

Listener = Callable[[events.Event], None]  # told which event; must not block


class FactChanges:
    def __init__(self, nc: NATS) -> None:
        self.nc = nc
        self._listeners: dict[int, set[Listener]] = {}
        self._subs: list[Subscription] = []

    async def watch(self, account_id: int, listener: Listener) -> None:
        if not self._subs:
            for kind in CONCERNS:
                subject = subjects.event(kind.__struct_config__.tag)  # type: ignore[arg-type]
                self._subs.append(await self.nc.subscribe(subject, cb=self._on_event))
            await self.nc.flush()  # known to the server before the session first asks graph
        self._listeners.setdefault(account_id, set()).add(listener)

    def unwatch(self, account_id: int, listener: Listener) -> None:
        listeners = self._listeners.get(account_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[account_id]

    async def _on_event(self, msg: Msg) -> None:
        try:
            event = events.decode(msg.data)
        except Exception:
            log.warning("undecodable event on %s", msg.subject)
            return
        for field in CONCERNS.get(type(event), ()):
            for listener in list(self._listeners.get(getattr(event, field), ())):
                listener(event)

    async def close(self) -> None:
        for sub in self._subs:
            try:
                await sub.unsubscribe()
            except Exception:  # connection closing
                pass
        self._subs.clear()
        self._listeners.clear()
