"""What a streaming session knows of its reader: follows, blocks, mutes and communities (the
policy's Viewer) and the accounts hidden from them, as graph answered ``viewer.facts``, and the
reader's content filters (hydrate/reader_filters.py), learned with them and trusted as long.

The race this closes: a reader's facts change while their stream is open (a block, an
unfollow). The invariant: facts are trusted only while none of graph's events about the reader
arrived since they were asked (streaming/fact_changes.py counts them here, ``changed``), this
gateway did not reconnect to NATS since (it may have missed one), the reader's first timed mute
has not ended (no event marks that moment: graph says when), and they are at most FACTS_TTL_S
old. Otherwise ``now()`` says None and a delivery waits for new ones (``get()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import TYPE_CHECKING

from shared import bus, events, policy
from shared.contracts import graph as graph_api

if TYPE_CHECKING:
    from services.gateway.context import Gateway
    from services.gateway.hydrate.reader_filters import ReaderFilters

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


class ReaderFacts:
    def __init__(self, gw: Gateway, account_id: int) -> None:
        self.gw = gw
        self.account_id = account_id
        self.viewer: policy.Viewer | None = None
        self.hidden: set[int] = set()
        self.filters: ReaderFilters | None = None  # None: the reader has none
        self.learned_at = 0.0
        self.ttl = FACTS_TTL_S  # shorter while a timed mute is about to end
        self.refresh_from = random.uniform(*FACTS_REFRESH_FROM_S)
        self.refreshing: asyncio.Task[None] | None = None
        # Graph's events counted here (fact_changes); facts learned before the latest are stale.
        self.changes = self.changes_learned = 0
        self.reconnects_learned = -1
        # The reader's filters changed since they were learned: learn them from graph, not
        # from the cache (hydrate/reader_filters.py's ``read(fresh=True)``).
        self.filters_stale = False
        self.filter_changes = 0  # FiltersChanged events heard
        # Learns may overlap (a refresh, and a delivery that could not wait for it): the answer
        # of one asked earlier never replaces that of one asked later.
        self.learns_asked = self.learn_applied = 0

    def changed(self, event: object = None) -> None:
        """Graph says the reader's facts (or filters) changed: the next delivery waits for new
        ones, which are already being asked for."""
        self.changes += 1
        if isinstance(event, events.FiltersChanged):
            self.filters_stale = True
            self.filter_changes += 1
        if self.refreshing is None:
            self.refreshing = asyncio.create_task(self._refresh())

    def now(self) -> tuple[policy.Viewer, set[int]] | None:
        """The reader's follows, blocks and mutes if they can be trusted (none of graph's
        changes since, no timed mute ended since, at most FACTS_TTL_S old), else None."""
        age = time.monotonic() - self.learned_at
        if (self.viewer is None or age > self.ttl
                or self.changes_learned != self.changes
                # Away from NATS, this gateway may have missed a change.
                or self.reconnects_learned != self.gw.nc.stats["reconnects"]):
            return None
        if age > self.refresh_from and self.refreshing is None:
            self.refreshing = asyncio.create_task(self._refresh())
        return self.viewer, self.hidden

    async def get(self) -> tuple[policy.Viewer, set[int]]:
        """``now()``, or new facts asked of graph when those cannot be trusted."""
        facts = self.now()
        if facts is None:
            await self.learn()
            assert self.viewer is not None
            facts = self.viewer, self.hidden
        return facts

    async def learn(self) -> None:
        asked_at, changes = time.monotonic(), self.changes
        reconnects = self.gw.nc.stats["reconnects"]
        # Stale filters stay stale until a fresh read of them is applied: a learn that starts
        # meanwhile reads them fresh too (from the cache, it could find the set graph has not
        # forgotten yet, and, finishing last, put it back).
        fresh, filter_changes = self.filters_stale, self.filter_changes
        self.learns_asked += 1
        asked = self.learns_asked
        facts, filters = await asyncio.gather(
            bus.call(self.gw.nc, graph_api.VIEWER_FACTS,
                     graph_api.ViewerFacts(account_id=self.account_id)),
            self.gw.hydrator.filters.read(self.account_id, fresh=fresh))
        if asked < self.learn_applied:
            return  # a later question's answer is applied already
        self.learn_applied = asked
        if fresh and filter_changes == self.filter_changes:
            self.filters_stale = False
        self.filters = filters
        # As of when they were asked: a change counted since then makes them stale at once.
        self.viewer, self.learned_at = facts.viewer(), asked_at
        # Hidden: muted (timed mutes not yet ended), blocked, or blocking the reader, as
        # graph's viewer.hidden answers, from the same reply.
        self.hidden = {*facts.blocked, *facts.muted}
        # Measured from before the question: a refresh comes a little early, never late.
        self.ttl = (FACTS_TTL_S if facts.mute_ends_in_s is None
                    else min(FACTS_TTL_S, facts.mute_ends_in_s))
        self.changes_learned, self.reconnects_learned = changes, reconnects
        self.refresh_from = random.uniform(*FACTS_REFRESH_FROM_S)

    async def _refresh(self) -> None:
        try:
            await self.learn()
            if self.changes_learned != self.changes:  # changed again while asking
                await self.learn()
        except Exception as exc:  # graph slow or away: a delivery asks again when it must
            log.warning("streaming: refreshing %s's facts failed: %r", self.account_id, exc)
        finally:
            self.refreshing = None

    async def close(self) -> None:
        if self.refreshing is not None:
            self.refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.refreshing
