"""Notify's index of the places outgoing webhooks listen (shared/member_index.py ``HOOKED``):
posts marks a status ``hooked`` only where a webhook may listen, and the webhook consumer is
handed only those; a lost index marks every status hooked, never loses a delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.notify.webhooks import DURABLE
from services.notify.webhooks.handlers import keep_hooked_index
from shared import member_index, subjects
from tests.helpers import Api, User, other_domain
from tests.helpers.webhook_receiver import WebhookReceiver, running
from tests.helpers.webhooks import create, wait_until


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with running() as found:
        yield found


async def handed(api: Api) -> int:
    """How many events the webhook consumer was handed so far."""
    info = await api.stack.js.consumer_info(subjects.EVENTS_STREAM, DURABLE)
    return int(info.delivered.consumer_seq)


async def fill(api: Api) -> int | None:
    return await keep_hooked_index(api.stack.notify.pool, api.stack.notify.redis.lean)


async def quiet_network(api: Api) -> User:
    """The first account of a network of its own (no webhook there yet)."""
    return await api.user(domain=other_domain())


async def network_of(api: Api, user: User) -> list[str]:
    """The index members a status of ``user``'s outside communities may be heard under."""
    network_id = await api.stack.graph.pool.fetchval(
        "SELECT network_id FROM accounts WHERE id = $1", int(user.id))
    return member_index.hook_scopes(network_id, None)


async def test_a_status_where_no_webhook_listens_is_not_handed_over(
        api: Api, receiver: WebhookReceiver) -> None:
    await fill(api)
    admin = await quiet_network(api)
    await api.idle()
    before = await handed(api)
    await api.post(admin, "nobody listens here")
    await api.idle()
    assert await handed(api) == before
    hook = await create(api, admin, receiver.url("here"), ["status.created"])
    assert await member_index.may_hold_any(api.stack.notify.redis.lean, member_index.HOOKED,
                                           await network_of(api, admin))
    await api.post(admin, "now someone does")
    await api.idle()
    assert await handed(api) == before + 1
    await wait_until(api, admin, hook, state="delivered")


async def test_a_lost_index_hands_over_every_status_then_is_refilled(
        api: Api, receiver: WebhookReceiver) -> None:
    admin = await quiet_network(api)
    hook = await create(api, admin, receiver.url("kept"), ["status.created"])
    other = await quiet_network(api)
    await api.idle()
    before = await handed(api)
    # Valkey lost it (a restart). Dropped right before each post: notify's chore refills it
    # every member_index.CHECK_S, and a refill between a drop and a post (the seconds the
    # setup takes) would rightly keep the other network's status back.
    await api.stack.admin_redis.delete(member_index.HOOKED)
    await api.post(other, "handed over: the index cannot say")
    await api.stack.admin_redis.delete(member_index.HOOKED)
    await api.post(admin, "delivered all the same")
    await api.idle()
    assert await handed(api) == before + 2
    await wait_until(api, admin, hook, state="delivered")
    # Notify's chore refills it from PostgreSQL: complete again, the hooked network in it.
    assert (await fill(api) or 0) >= 1
    lean = api.stack.notify.redis.lean
    assert await member_index.is_ready(lean, member_index.HOOKED)
    assert await member_index.may_hold_any(lean, member_index.HOOKED,
                                           await network_of(api, admin))
    assert not await member_index.may_hold_any(lean, member_index.HOOKED,
                                               await network_of(api, other))
    assert await fill(api) is None  # a complete index is left alone
