"""Webhook deliveries against a real receiver on 127.0.0.1: Standard Webhooks signatures that
the ``standardwebhooks`` library accepts, retries with the same ``webhook-id``, dead letters and
their replay, no redirects followed, a receiver that hangs, community and network scopes, and
an endpoint disabled after failing for too long (a target turned private and a redelivered
event: tests/notify/test_webhooks.py)."""

from __future__ import annotations

import time

from standardwebhooks import Webhook

from tests.helpers import Api, other_domain
from tests.helpers import communities as community_helpers
from tests.helpers.webhook_receiver import WebhookReceiver
from tests.helpers.webhooks import call, create, deliveries, wait_until


async def test_a_status_is_delivered_signed_and_retried_with_the_same_id(
        api: Api, receiver: WebhookReceiver) -> None:
    domain = other_domain()
    admin = await api.user(domain=domain)
    author = await api.user(domain=domain)
    hook = await create(api, admin, receiver.url("flaky", 500, 500), ["status.created"])

    status = await api.post(author, "Quarterly numbers are in")
    got = await receiver.wait_for("flaky", 3)

    assert [r.answered for r in got] == [500, 500, 200]
    assert len({r.webhook_id for r in got}) == 1  # the same delivery, tried three times
    for r in got:
        Webhook(hook["secret"]).verify(r.body, r.headers)  # raises unless signed right
        assert r.headers["content-type"] == "application/json"
    payload = got[0].payload
    assert payload["type"] == "status.created"
    assert payload["data"]["id"] == status["id"]
    assert payload["data"]["content"] == status["content"]
    assert payload["data"]["account"]["id"] == author.id
    assert payload["data"]["url"] == status["url"]
    log = await wait_until(api, admin, hook, state="delivered")
    assert log[0]["id"] == got[0].webhook_id
    assert [a["status_code"] for a in log[0]["attempts"]] == [200, 500, 500]
    assert all(isinstance(a["latency_ms"], int) for a in log[0]["attempts"])


async def test_a_delivery_that_keeps_failing_is_dead_then_replayed_with_its_id(
        api: Api, receiver: WebhookReceiver) -> None:
    domain = other_domain()
    admin = await api.user(domain=domain)
    hook = await create(api, admin, receiver.url("down", *([503] * 100)), ["status.created"])
    await api.post(admin, "Nobody hears this yet")

    await wait_until(api, admin, hook, state="dead")
    dead = await deliveries(api, admin, hook, dead=True)
    assert len(dead) == 1 and dead[0]["last_status_code"] == 503
    tries = len(receiver.of("down"))
    assert tries >= 2

    receiver.answer("down")  # back up
    r = await call(api, admin, "POST", f"/{hook['id']}/deliveries/{dead[0]['id']}/replay")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "delivered"
    got = receiver.of("down")
    assert len(got) == tries + 1
    assert got[-1].webhook_id == dead[0]["id"] == got[0].webhook_id
    Webhook(hook["secret"]).verify(got[-1].body, got[-1].headers)
    assert await deliveries(api, admin, hook, dead=True) == []


async def test_a_redirect_is_a_failure_and_is_not_followed(
        api: Api, receiver: WebhookReceiver) -> None:
    admin = await api.user(domain=other_domain())
    hook = await create(api, admin, receiver.url("moved", "redirect"), ["status.created"])
    await api.post(admin, "Where did it go")

    log = await wait_until(api, admin, hook, state="delivered")
    first = log[0]["attempts"][-1]
    assert first["status_code"] == 302 and "not followed" in first["error"]
    assert receiver.followed == []


async def test_a_receiver_that_hangs_times_out_and_is_tried_again(
        api: Api, receiver: WebhookReceiver) -> None:
    admin = await api.user(domain=other_domain())
    hook = await create(api, admin, receiver.url("slow", "hang"), ["status.created"])
    await api.post(admin, "Anyone there")

    log = await wait_until(api, admin, hook, state="delivered")
    first = log[0]["attempts"][-1]
    assert first["ok"] is False and first["status_code"] is None
    assert "timed out" in first["error"]
    assert first["latency_ms"] >= 1500


async def test_community_events_reach_the_communitys_webhook_only(
        api: Api, receiver: WebhookReceiver) -> None:
    domain = other_domain()
    owner = await api.user(domain=domain)  # the network's owner too
    community_admin = await api.user(domain=domain)
    member = await api.user(domain=domain)
    community = await community_helpers.create(api, community_admin)
    hook = await create(api, community_admin, receiver.url("community"),
                        ["status.created", "member.joined", "mention.created"],
                        community_id=community["id"])
    assert hook["community_id"] == community["id"]
    network_hook = await create(api, owner, receiver.url("network"), ["status.created"])

    await community_helpers.join(api, member, community)
    await api.post(member, f"Hello @{community_admin.username}",
                   community_id=community["id"])
    await api.post(member, "Just for you", visibility="direct")
    await api.post(member, "To the whole company")
    got = await receiver.wait_for("community", 3)
    await receiver.wait_for("network", 1)
    await api.stack.idle()

    types = sorted(r.payload["type"] for r in receiver.of("community"))
    assert types == ["member.joined", "mention.created", "status.created"]
    joined = next(r.payload for r in got if r.payload["type"] == "member.joined")
    assert joined["data"]["account"]["id"] == member.id
    mention = next(r.payload for r in got if r.payload["type"] == "mention.created")
    assert [a["id"] for a in mention["data"]["accounts"]] == [community_admin.id]
    assert [r.payload["data"]["content"] for r in receiver.of("network")] == [
        "<p>To the whole company</p>"]
    assert network_hook["community_id"] is None


async def test_follows_reach_the_networks_webhook(api: Api, receiver: WebhookReceiver) -> None:
    domain = other_domain()
    admin = await api.user(domain=domain)
    a, b = await api.user(domain=domain), await api.user(domain=domain)
    await create(api, admin, receiver.url("follows"), ["follow.created"])
    await api.follow(a, b)
    [got] = await receiver.wait_for("follows")
    assert got.payload["type"] == "follow.created"
    assert got.payload["data"]["account"]["id"] == a.id
    assert got.payload["data"]["target_account"]["id"] == b.id


async def test_ping_is_delivered_now(api: Api, receiver: WebhookReceiver) -> None:
    admin = await api.user(domain=other_domain())
    hook = await create(api, admin, receiver.url("ping"), ["status.deleted"])
    r = await call(api, admin, "POST", f"/{hook['id']}/ping")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "delivered" and r.json()["type"] == "ping"
    [got] = receiver.of("ping")
    assert got.payload["type"] == "ping" and got.webhook_id == r.json()["id"]
    Webhook(hook["secret"]).verify(got.body, got.headers)
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60


async def test_a_rotated_secret_signs_beside_the_old_one_for_a_while(
        api: Api, receiver: WebhookReceiver) -> None:
    admin = await api.user(domain=other_domain())
    hook = await create(api, admin, receiver.url("rotated"), ["status.created"])
    r = await call(api, admin, "POST", f"/{hook['id']}/rotate",
                   json={"keep_previous_seconds": 600})
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
    assert rotated["previous_secret_until"] is not None
    assert "secret" not in (await call(api, admin, "GET", f"/{hook['id']}")).json()

    await call(api, admin, "POST", f"/{hook['id']}/ping")
    [got] = receiver.of("rotated")
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(rotated["secret"]).verify(got.body, got.headers)
    Webhook(hook["secret"]).verify(got.body, got.headers)

    r = await call(api, admin, "POST", f"/{hook['id']}/rotate")  # at once, this time
    await call(api, admin, "POST", f"/{hook['id']}/ping")
    last = receiver.of("rotated")[-1]
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    Webhook(r.json()["secret"]).verify(last.body, last.headers)


async def test_an_endpoint_that_keeps_failing_is_disabled_and_its_admin_told(
        api: Api, receiver: WebhookReceiver) -> None:
    admin = await api.user(domain=other_domain())
    hook = await create(api, admin, receiver.url("gone", *([500] * 500)), ["status.created"])
    for n in range(3):  # HUBBUB_WEBHOOK_DISABLE_AFTER is 3 in the tests
        await api.post(admin, f"Into the void {n}")
    await wait_until(api, admin, hook, state="dead", count=3, timeout=20)

    shown = (await call(api, admin, "GET", f"/{hook['id']}")).json()
    assert shown["enabled"] is False and "in a row" in shown["disabled_reason"]
    r = await api.client.get("/api/v1/notifications", headers=admin.headers,
                             params={"types[]": "hubbub.webhook_disabled"})
    assert r.status_code == 200, r.text
    assert [n["type"] for n in r.json()] == ["hubbub.webhook_disabled"]

    r = await call(api, admin, "PATCH", f"/{hook['id']}", json={"enabled": True})
    assert r.status_code == 200 and r.json()["enabled"] is True
    assert r.json()["disabled_reason"] is None


async def test_edits_and_deletions_are_delivered(api: Api, receiver: WebhookReceiver) -> None:
    admin = await api.user(domain=other_domain())
    await create(api, admin, receiver.url("lifecycle"),
                 ["status.created", "status.updated", "status.deleted"])
    status = await api.post(admin, "First draft")
    await receiver.wait_for("lifecycle", 1)
    r = await api.client.put(f"/api/v1/statuses/{status['id']}", headers=admin.headers,
                             json={"status": "Second draft"})
    assert r.status_code == 200, r.text
    await receiver.wait_for("lifecycle", 2)
    r = await api.client.delete(f"/api/v1/statuses/{status['id']}", headers=admin.headers)
    assert r.status_code == 200, r.text
    got = await receiver.wait_for("lifecycle", 3)

    assert [r.payload["type"] for r in got] == ["status.created", "status.updated",
                                                 "status.deleted"]
    assert got[1].payload["data"]["content"] == "<p>Second draft</p>"
    assert got[1].payload["data"]["edited_at"] is not None
    assert got[2].payload["data"]["id"] == status["id"]
    assert len({r.webhook_id for r in got}) == 3  # three events, three deliveries
