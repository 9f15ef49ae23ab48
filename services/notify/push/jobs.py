"""Which of the recipient's Web Push subscriptions hear of a new notification, and the jobs
that tell them: one PushRequested event each, on JetStream, for the ``notify-push`` consumer
(sender.py) to send, so that a slow push service holds up neither the notification nor the
other subscriptions.

A subscription hears of a notification when its alert for the type is on and its policy lets
the sender through (Mastodon's: ``all``; ``followed``, senders the recipient follows;
``follower``, senders who follow the recipient; ``none``, nobody). The relationship is asked of
graph only when some subscription's policy needs it.

Written with the notification, in its transaction, to notify's outbox (shared/outbox.py):
a push is queued exactly when its notification is made, and a crash loses none."""

from __future__ import annotations

import asyncpg
from nats.aio.client import Client as NATS

from services.notify.push import store as push_store
from shared import bus
from shared.contracts import graph as graph_api
from shared.contracts.notify import PushPolicy


def policy_lets_through(policy: PushPolicy, *, recipient_follows: bool,
                        sender_follows: bool) -> bool:
    if policy == "all":
        return True
    if policy == "followed":
        return recipient_follows
    if policy == "follower":
        return sender_follows
    return False


class PushJobs:
    def __init__(self, pool: asyncpg.Pool, nc: NATS) -> None:
        self.pool = pool
        self.nc = nc

    async def hearing(self, *, recipient: int, type_: str, from_account: int) -> list[int]:
        """The recipient's subscriptions that hear of a notification (their ids)."""
        async with self.pool.acquire() as conn:
            found = await push_store.of_account(conn, recipient)
        hearing = [s for s in found if s.alerts.get(type_) and s.policy != "none"]
        if not hearing:
            return []
        recipient_follows = sender_follows = False
        # (Of one's own poll, nobody to ask about: one follows oneself no more than Mastodon.)
        if recipient != from_account and any(s.policy in ("followed", "follower")
                                             for s in hearing):
            facts = await bus.call(self.nc, graph_api.NOTIFICATION_ALLOWED,
                                   graph_api.NotificationAllowed(
                                       recipient_id=recipient, from_account_id=from_account,
                                       facts=True))
            recipient_follows = facts.recipient_follows
            sender_follows = facts.follower_since is not None
        return [s.id for s in hearing
                if policy_lets_through(s.policy, recipient_follows=recipient_follows,
                                       sender_follows=sender_follows)]
