"""The webhook sender's state lives in PostgreSQL: a delivery left due (a replica that died, a
restart) is sent by whichever sender looks next, a claimed delivery is nobody else's while its
lease lasts, and the backoff's waits stay within their bounds (full jitter)."""

from __future__ import annotations

import asyncio

import pytest
from standardwebhooks import Webhook

from services.notify.webhooks import store as hook_store
from services.notify.webhooks.sender import WebhookSender, backoff_s
from shared.ids import new_id
from tests.helpers import Api, other_domain
from tests.helpers.webhook_receiver import running
from tests.helpers.webhooks import create


@pytest.mark.parametrize("attempts", [1, 2, 5, 10, 40])
def test_backoff_waits_up_to_base_times_two_to_the_attempts(attempts: int) -> None:
    bound = min(86400 / 4, 5.0 * 2 ** attempts)
    waits = [backoff_s(attempts, 5.0, 86400) for _ in range(200)]
    assert all(0 <= w <= bound for w in waits)
    assert max(waits) > bound / 4  # spread over the range, not stuck at its start


async def test_a_delivery_left_due_is_sent_by_another_sender(api: Api) -> None:
    stack = api.stack
    admin = await api.user(domain=other_domain())
    async with running() as receiver:
        hook = await create(api, admin, receiver.url("left"), ["status.created"])
        pool = stack.notify.pool
        async with pool.acquire() as conn:  # as a replica that died before sending left it
            delivery_id = await hook_store.record(
                conn, id=new_id(), webhook_id=int(hook["id"]), event_id=new_id(),
                type_="status.created", body=b'{"type":"status.created","data":{}}',
                window_s=60)
        replica = WebhookSender(stack.settings, pool, stack.notify.webhooks.sender.keys)
        await replica.send_due()
        # The stack's own sender may have been first: either way, sent once.
        [got] = await receiver.wait_for("left")
        assert got.webhook_id == str(delivery_id)
        Webhook(hook["secret"]).verify(got.body, got.headers)
        await asyncio.sleep(0)
        assert len(receiver.of("left")) == 1


async def test_a_claimed_delivery_is_nobody_elses(api: Api) -> None:
    """Two replicas claiming at once: the row lock (SKIP LOCKED) gives it to one; once that
    claim commits, the lease (a later ``due_at``) keeps it from every other sender's round."""
    admin = await api.user(domain=other_domain())
    hook = await create(api, admin, "http://127.0.0.1:9/unused", ["status.deleted"])
    pool = api.stack.notify.pool
    async with pool.acquire() as conn:
        delivery_id = await hook_store.record(
            conn, id=new_id(), webhook_id=int(hook["id"]), event_id=new_id(),
            type_="status.deleted", body=b"{}", window_s=60, due_in_s=3600)
    async with pool.acquire() as one, pool.acquire() as two:
        async with one.transaction():
            first = await hook_store.claim_due(one, 10, 60, only=delivery_id)
            meanwhile = await hook_store.claim_due(two, 10, 60, only=delivery_id)
        later = await hook_store.claim_due(two, 1000, 60)
        await two.execute("DELETE FROM webhook_deliveries WHERE id = $1", delivery_id)
    assert [c.id for c in first] == [delivery_id]
    assert meanwhile == []
    assert delivery_id not in [c.id for c in later]
