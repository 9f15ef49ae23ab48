"""notify's Web Push channel (services/notify/push/sender.py) against a push service on
127.0.0.1 (tests/helpers/push_receiver.py): one that hangs is tried again with backoff and
then given up, while the other subscriptions' messages go through; a redirect is not followed;
an endpoint that points inside now is not sent to; a subscription sealed by another VAPID key
is deleted; a deactivated account's subscriptions are deleted."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared import events, ids
from tests.helpers import Api, User, other_domain
from tests.helpers.push_receiver import PushReceiver, running

URL = "/api/v1/push/subscription"


@pytest.fixture
async def receiver(api: Api) -> AsyncIterator[PushReceiver]:
    async with running(api.stack.gateway.vapid_public_key) as found:
        yield found


async def subscribe(api: Api, user: User, receiver: PushReceiver, name: str,
                    *script: int | str) -> dict[str, Any]:
    endpoint, browser = receiver.endpoint(name, *script)
    r = await api.client.post(URL, headers=user.headers, json={
        "subscription": {"endpoint": endpoint, "keys": browser.keys()},
        "data": {"alerts": {"mention": True}}})
    assert r.status_code == 200, r.text
    return r.json()


async def rows(api: Api, user: User) -> int:
    return int(await api.stack.notify.pool.fetchval(
        "SELECT count(*) FROM push_subscriptions WHERE account_id = $1", int(user.id)))


async def test_a_hanging_push_service_is_retried_then_dropped_holding_up_no_other(
        api: Api, receiver: PushReceiver, caplog: pytest.LogCaptureFixture) -> None:
    max_deliver = api.stack.settings.max_deliver
    timeout = api.stack.settings.push_timeout_s
    stuck, fine, author = await api.user(), await api.user(), await api.user()
    await subscribe(api, stuck, receiver, "stuck", *["hang"] * max_deliver)
    await subscribe(api, fine, receiver, "fine")
    caplog.set_level(logging.ERROR, logger="shared.consumers")
    started = time.monotonic()
    await api.post(author, f"@{stuck.username} @{fine.username} standup in five")
    await receiver.wait_for("fine", timeout=10)
    # Delivered while the other subscription's push service still hangs.
    assert time.monotonic() - started < timeout
    # (the two jobs go out in either order: the stuck one's first attempt may come second)
    while receiver.endpoints["stuck"].attempts == 0 and time.monotonic() - started < timeout:
        await asyncio.sleep(0.05)
    assert receiver.endpoints["stuck"].attempts == 1
    await api.stack.idle(timeout=max_deliver * (timeout + 3) + 10)
    stuck_end = receiver.endpoints["stuck"]
    assert stuck_end.attempts == max_deliver  # bounded: then given up
    assert receiver.of("stuck") == []
    gaps = [b - a for a, b in zip(stuck_end.attempt_times, stuck_end.attempt_times[1:],
                                  strict=False)]
    assert all(gap >= timeout for gap in gaps) and gaps[-1] > gaps[0]  # backing off
    assert any("notify-push" in r.getMessage() and "giving up" in r.getMessage()
               for r in caplog.records)
    # The subscription stays (a hang is not a "gone"); nothing else was sent twice.
    assert await rows(api, stuck) == 1
    assert len(receiver.of("fine")) == 1


async def test_a_redelivered_push_event_is_sent_once(api: Api, receiver: PushReceiver) -> None:
    """JetStream redelivers a PushRequested whose ack was lost (a NATS node or the consumer's
    replica gone after the push went out): the handler runs again and sends nothing."""
    reader, author = await api.user(), await api.user()
    subscription = await subscribe(api, reader, receiver, "once")
    await api.post(author, f"@{reader.username} said once")
    await receiver.wait_for("once")
    await api.stack.idle()
    r = await api.client.get("/api/v1/notifications", headers=reader.headers)
    [notification] = r.json()
    event = events.PushRequested(
        id=ids.new_id(), subscription_id=int(subscription["id"]),
        notification_id=int(notification["id"]), account_id=int(reader.id),
        notification_type="mention", from_account_id=int(author.id))
    await api.stack.notify.pusher.send(event)
    await api.stack.notify.pusher.send(event)  # the redelivery
    assert len(receiver.of("once")) == 2  # the post's own push, and this event's once


async def test_a_redirect_is_not_followed(api: Api, receiver: PushReceiver) -> None:
    reader, author = await api.user(), await api.user()
    await subscribe(api, reader, receiver, "moved", 307)
    await api.post(author, f"@{reader.username} where are you?")
    await api.idle()
    assert receiver.endpoints["moved"].attempts == 1  # dropped, not retried nor followed
    assert await rows(api, reader) == 1


async def test_an_endpoint_that_points_inside_now_is_not_sent_to(
        api: Api, receiver: PushReceiver) -> None:
    reader, author = await api.user(), await api.user()
    await subscribe(api, reader, receiver, "moved-inside")
    # As if its name resolved to a private address since it was checked.
    await api.stack.notify.pool.execute(
        "UPDATE push_subscriptions SET endpoint = 'https://10.9.8.7/push' "
        "WHERE account_id = $1", int(reader.id))
    await api.post(author, f"@{reader.username} hello")
    await api.idle()
    assert receiver.endpoints["moved-inside"].attempts == 0
    assert await rows(api, reader) == 1


async def test_a_subscription_sealed_by_another_key_is_deleted(
        api: Api, receiver: PushReceiver) -> None:
    reader, author = await api.user(), await api.user()
    await subscribe(api, reader, receiver, "stale")
    await api.stack.notify.pool.execute(
        "UPDATE push_subscriptions SET sealed_token = $2 WHERE account_id = $1",
        int(reader.id), b"\x00" * 40)
    await api.post(author, f"@{reader.username} hello")
    await api.idle()
    assert receiver.endpoints["stale"].attempts == 0
    assert await rows(api, reader) == 0


async def test_a_deactivated_accounts_subscriptions_are_deleted(
        api: Api, receiver: PushReceiver) -> None:
    domain = other_domain()
    admin, member = await api.user(domain=domain), await api.user(domain=domain)
    await subscribe(api, member, receiver, "leaver")
    assert await rows(api, member) == 1
    r = await api.client.post(f"/api/hubbub/v1/network/accounts/{member.id}/deactivate",
                              headers=admin.headers)
    assert r.status_code == 200, r.text
    await api.idle()
    assert await rows(api, member) == 0


async def test_a_revoked_tokens_subscription_row_is_deleted(
        api: Api, receiver: PushReceiver) -> None:
    reader = await api.user()
    await subscribe(api, reader, receiver, "revoked-row")
    app = await api.app()
    r = await api.client.post("/oauth/revoke", data={
        "client_id": app["client_id"], "client_secret": app["client_secret"],
        "token": reader.token})
    assert r.status_code == 200, r.text
    assert await rows(api, reader) == 0
