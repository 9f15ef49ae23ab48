"""This gateway's streaming users, announced in Redis (shared/presence) so that fanout publishes
``hubbub.live.user.<id>`` only for users connected somewhere: an offline reader's timeline is
written, but nobody pays for a live message that no gateway would deliver.

The tracker starts with the first streaming connection and stops with the gateway's LiveHub. A
user is marked online before their connection subscribes to anything, so no event meant for
them can be skipped in between."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.gateway.context import Gateway
from shared.presence import PresenceTracker

log = logging.getLogger(__name__)


def tracker_of(gw: Gateway) -> PresenceTracker:
    """The gateway's tracker, refreshing from the first streaming connection on."""
    tracker = gw.presence
    assert tracker is not None
    tracker.run()  # (started already: nothing to do)
    return tracker


@asynccontextmanager
async def online(gw: Gateway, account_id: int) -> AsyncIterator[None]:
    """The user counts as online on this gateway for the duration."""
    tracker = tracker_of(gw)
    try:
        await tracker.connected(account_id)
    except Exception as exc:  # Redis away: the tracker's next refresh marks the user
        log.warning("presence: could not mark %s online: %s", account_id, exc)
    try:
        yield
    finally:
        tracker.disconnected(account_id)
