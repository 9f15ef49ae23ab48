"""Whom a recipient refuses (a block either way, a mute of notifications), read by notify from
graph's cache of the recipient's hidden accounts (shared/viewer_cache.py): graph is asked once,
on a miss, and a new mute or block takes effect at once."""

from __future__ import annotations

from prometheus_client import REGISTRY

from shared import viewer_cache
from tests.helpers import Api, User


def asked(endpoint: str) -> float:
    return REGISTRY.get_sample_value("hubbub_service_request_seconds_count",
                                     {"endpoint": endpoint}) or 0.0


def graph_asks() -> tuple[float, float]:
    return asked("graph.viewer.hidden"), asked("graph.notification.allowed")


async def mentions_of(api: Api, user: User) -> list[int]:
    """The statuses of the mentions stored for ``user`` (what the API shows also hides, at
    read time, those of accounts muted or blocked since)."""
    rows = await api.stack.notify.pool.fetch(
        "SELECT status_id FROM notifications WHERE account_id = $1 AND type = 'mention' "
        "ORDER BY id", int(user.id))
    return [row["status_id"] for row in rows]


async def test_a_cached_hidden_set_answers_without_asking_graph(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    await api.stack.admin_redis.delete(viewer_cache.hidden_key(int(alice.id)))
    hidden_before, allowed_before = graph_asks()
    await api.post(bob, f"@{alice.username} first")
    await api.idle()
    # A miss: graph is asked for alice's hidden set, which it caches.
    assert graph_asks() == (hidden_before + 1, allowed_before)
    assert await api.stack.admin_redis.exists(viewer_cache.hidden_key(int(alice.id)))
    await api.post(bob, f"@{alice.username} second")
    await api.idle()
    assert graph_asks() == (hidden_before + 1, allowed_before)
    assert len(await mentions_of(api, alice)) == 2


async def test_a_mute_of_notifications_refuses_at_once(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    before = await api.post(bob, f"@{alice.username} before")
    await api.idle()
    assert await api.stack.admin_redis.exists(viewer_cache.hidden_key(int(alice.id)))
    r = await api.client.post(f"/api/v1/accounts/{bob.id}/mute", headers=alice.headers,
                              json={"notifications": True})
    assert r.status_code == 200, r.text
    await api.post(bob, f"@{alice.username} muted")
    await api.idle()
    assert await mentions_of(api, alice) == [int(before["id"])]


async def test_a_block_by_the_sender_refuses_too(api: Api) -> None:
    """A block either way: alice is not told of bob's mention once he blocked her."""
    alice, bob = await api.user(), await api.user()
    before = await api.post(bob, f"@{alice.username} before")
    await api.idle()
    assert await api.stack.admin_redis.exists(viewer_cache.hidden_key(int(alice.id)))
    r = await api.client.post(f"/api/v1/accounts/{alice.id}/block", headers=bob.headers)
    assert r.status_code == 200, r.text
    await api.post(bob, f"@{alice.username} after the block")
    await api.idle()
    assert await mentions_of(api, alice) == [int(before["id"])]
