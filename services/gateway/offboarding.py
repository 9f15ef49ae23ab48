"""Offboarding is instant: a revoked token or a deactivated account stops on every gateway as
soon as it hears, and its open streams end.

Each gateway listens on plain NATS (not a JetStream consumer: a gateway keeps no durable
position, and what it missed while away is bounded by the token cache's TTL):
- ``TOKEN_REVOKED`` (a digest), published by the gateway that revoked the token;
- graph's ``account.deactivated``, ``account.joined`` and ``account.role_changed`` events,
  which reach plain subscribers of their JetStream subjects once graph's outbox relays them.

Two races, and why each answer holds:
- A token being loaded (Gateway.caller, a cache miss) while its revocation or its account's
  deactivation is heard: the load read the token or the record before, and would cache a
  Caller that the eviction already missed. So what was heard is remembered for ``LATCH_S``
  (``refuses``), and a load checks it after its last await, just before caching.
- The account record in Redis (graph's ``acct:<id>``) is written through by graph *after* its
  commit, and the event may be relayed before that: a load in between reads the record of
  before. The same latch refuses the account meanwhile, so the record is not trusted until the
  write-through is long done. (A reactivation within ``LATCH_S`` of a deactivation waits out
  the latch.)
A reactivation (``account.reactivated``: unsuspended, enabled) lifts the latch at once.
Joined and role changes only drop the account's cached Callers: the next request loads its
token with the new standing.
"""

from __future__ import annotations

import logging

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from services.gateway.streaming.open_streams import OpenStreams
from services.gateway.tokens import TokenCache
from shared import events, subjects
from shared.bounded_cache import BoundedCache

log = logging.getLogger(__name__)

LATCH_S = 60.0
# The membership events a gateway hears (shared/permissions.py lets it subscribe to exactly
# these; a test holds the two together).
MEMBERSHIP_EVENTS: tuple[type[events.Event], ...] = (
    events.AccountDeactivated, events.AccountJoined, events.AccountRoleChanged,
    events.AccountReactivated)


class Offboarding:
    def __init__(self, tokens: TokenCache, streams: OpenStreams, *,
                 max_entries: int = 100_000) -> None:
        self.tokens = tokens
        self.streams = streams
        self._revoked: BoundedCache[str, bool] = BoundedCache(max_entries, ttl_s=LATCH_S)
        self._deactivated: BoundedCache[int, bool] = BoundedCache(max_entries, ttl_s=LATCH_S)

    async def listen(self, nc: NATS) -> None:
        await nc.subscribe(subjects.TOKEN_REVOKED, cb=self._on_revoked)
        for kind in MEMBERSHIP_EVENTS:
            await nc.subscribe(subjects.event(str(kind.__struct_config__.tag)),
                               cb=self._on_event)
        await nc.flush()

    def refuses(self, token_digest: str, account_id: int | None) -> bool:
        """Whether this token, or its account, was offboarded a moment ago."""
        return bool(self._revoked.get(token_digest)
                    or (account_id is not None and self._deactivated.get(account_id)))

    def token_revoked(self, token_digest: str) -> None:
        self._revoked.put(token_digest, True)
        self.tokens.forget(token_digest)
        ended = self.streams.end_token(token_digest)
        if ended:
            log.info("token revoked: ended %d streaming connection(s)", ended)

    def account_deactivated(self, account_id: int) -> None:
        self._deactivated.put(account_id, True)
        self.tokens.forget_account(account_id)
        ended = self.streams.end_account(account_id)
        if ended:
            log.info("account %s deactivated: ended %d streaming connection(s)",
                     account_id, ended)

    async def _on_revoked(self, msg: Msg) -> None:
        self.token_revoked(msg.data.decode(errors="replace"))

    async def _on_event(self, msg: Msg) -> None:
        try:
            event = events.decode(msg.data)
        except Exception:
            log.warning("undecodable event on %s", msg.subject)
            return
        if isinstance(event, events.AccountDeactivated):
            self.account_deactivated(event.account_id)
        elif isinstance(event, events.AccountReactivated):
            # Unsuspended or enabled: the latch must not keep refusing it for LATCH_S.
            self._deactivated.forget(event.account_id)
            self.tokens.forget_account(event.account_id)
        elif isinstance(event, events.AccountJoined | events.AccountRoleChanged):
            self.tokens.forget_account(event.account_id)
