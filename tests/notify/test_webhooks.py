"""Webhooks from inside notify, against a real receiver on 127.0.0.1: a target whose name
turned private after subscription is refused at delivery (the SSRF guard checks each attempt),
and an event JetStream redelivers makes one delivery, sent once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared import events
from tests.helpers import Api, other_domain
from tests.helpers.webhook_receiver import WebhookReceiver, running
from tests.helpers.webhooks import create, deliveries, wait_until


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with running() as found:
        yield found


async def test_a_target_that_turned_private_is_refused_at_delivery(
        api: Api, receiver: WebhookReceiver) -> None:
    """Checked again at each attempt: as if the name now resolved inside the company."""
    admin = await api.user(domain=other_domain())
    hook = await create(api, admin, receiver.url("moved-inside"), ["status.created"])
    await api.stack.notify.pool.execute("UPDATE webhooks SET url = $2 WHERE id = $1",
                                        int(hook["id"]), "http://10.20.30.40:9/hooks")
    await api.post(admin, "Inside job")

    log = await wait_until(api, admin, hook, state="dead")
    assert all("SSRF guard" in a["error"] and a["status_code"] is None
               for a in log[0]["attempts"])


async def test_a_redelivered_event_makes_one_delivery(
        api: Api, receiver: WebhookReceiver) -> None:
    admin = await api.user(domain=other_domain())
    hook = await create(api, admin, receiver.url("once"), ["status.created"])
    status = await api.post(admin, "Said once")
    await receiver.wait_for("once")
    await wait_until(api, admin, hook, state="delivered")
    [delivery] = await deliveries(api, admin, hook)

    # JetStream redelivers an event whose ack was lost: the consumer's handler runs again.
    event = events.StatusCreated(id=int(delivery["event_id"]), status_id=int(status["id"]),
                                 account_id=int(admin.id), network_id=0, visibility="public")
    matcher = api.stack.notify.webhooks.consumer.handler
    await matcher(event)
    await matcher(event)
    await api.stack.idle()

    assert len(await deliveries(api, admin, hook)) == 1
    assert len(receiver.of("once")) == 1
