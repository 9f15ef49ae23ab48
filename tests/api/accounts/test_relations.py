"""Follow requests, blocks and mutes, and what they do to timelines and notifications."""

from __future__ import annotations

import asyncio

from tests.helpers import Api, User
from tests.helpers.relations import note_types, rel


async def home_ids(api: Api, user: User) -> list[str]:
    return [s["id"] for s in (await api.home(user, limit=40)).json()]


async def test_remove_from_followers(api: Api) -> None:
    me, fan = await api.user(), await api.user()
    await api.follow(fan, me)
    r = await api.client.post(f"/api/v1/accounts/{fan.id}/remove_from_followers",
                              headers=me.headers)
    assert r.json()["followed_by"] is False
    assert (await rel(api, fan, me))["following"] is False


async def test_block_breaks_follows_hides_posts_and_refuses_follow(api: Api) -> None:
    blocker, blocked = await api.user(), await api.user()
    await api.follow(blocker, blocked)
    await api.follow(blocked, blocker)
    post = await api.post(blocker, "before the block")
    await api.idle()
    assert post["id"] in await home_ids(api, blocked)

    r = await api.client.post(f"/api/v1/accounts/{blocked.id}/block", headers=blocker.headers)
    assert r.json()["blocking"] is True and r.json()["following"] is False
    await api.idle()
    assert (await rel(api, blocked, blocker))["blocked_by"] is True
    assert (await rel(api, blocked, blocker))["following"] is False
    assert post["id"] not in await home_ids(api, blocked)
    seen = await api.client.get(f"/api/v1/statuses/{post['id']}", headers=blocked.headers)
    assert seen.status_code == 404
    refused = await api.client.post(f"/api/v1/accounts/{blocker.id}/follow",
                                    headers=blocked.headers)
    assert refused.status_code == 403
    listed = (await api.client.get("/api/v1/blocks", headers=blocker.headers)).json()
    assert [a["id"] for a in listed] == [blocked.id]

    await api.client.post(f"/api/v1/accounts/{blocked.id}/unblock", headers=blocker.headers)
    assert (await rel(api, blocker, blocked))["blocking"] is False
    seen = await api.client.get(f"/api/v1/statuses/{post['id']}", headers=blocked.headers)
    assert seen.status_code == 200


async def test_blocked_account_cannot_notify(api: Api) -> None:
    blocker, blocked = await api.user(), await api.user()
    await api.client.post(f"/api/v1/accounts/{blocked.id}/block", headers=blocker.headers)
    await api.post(blocked, f"hey @{blocker.username}")
    await api.idle()
    assert await note_types(api, blocker) == []


async def test_mute_hides_posts_and_notifications(api: Api) -> None:
    me, noisy = await api.user(), await api.user()
    await api.follow(me, noisy)
    old = await api.post(noisy, "before the mute")
    await api.idle()
    r = await api.client.post(f"/api/v1/accounts/{noisy.id}/mute", headers=me.headers)
    assert r.json()["muting"] is True and r.json()["muting_notifications"] is True
    new = await api.post(noisy, f"after the mute @{me.username}")
    await api.idle()
    home = await home_ids(api, me)
    assert old["id"] not in home and new["id"] not in home
    assert "mention" not in await note_types(api, me)
    assert [a["id"] for a in (await api.client.get("/api/v1/mutes",
                                                   headers=me.headers)).json()] == [noisy.id]
    await api.client.post(f"/api/v1/accounts/{noisy.id}/unmute", headers=me.headers)
    assert new["id"] in await home_ids(api, me)  # delivered, only hidden while muted


async def test_mute_without_notifications_still_notifies(api: Api) -> None:
    me, noisy = await api.user(), await api.user()
    await api.client.post(f"/api/v1/accounts/{noisy.id}/mute", headers=me.headers,
                          json={"notifications": False})
    await api.post(noisy, f"hi @{me.username}")
    await api.idle()
    assert await note_types(api, me) == ["mention"]


async def test_mute_with_duration_expires(api: Api) -> None:
    me, noisy = await api.user(), await api.user()
    r = await api.client.post(f"/api/v1/accounts/{noisy.id}/mute", headers=me.headers,
                              json={"duration": 1})
    assert r.json()["muting"] is True
    await asyncio.sleep(1.2)
    assert (await rel(api, me, noisy))["muting"] is False


async def test_bad_relationship_input(api: Api) -> None:
    me = await api.user()
    for path in ("/api/v1/accounts/999999/block", "/api/v1/accounts/nope/mute"):
        assert (await api.client.post(path, headers=me.headers)).status_code == 404
    r = await api.client.post(f"/api/v1/accounts/{me.id}/block", headers=me.headers)
    assert r.status_code == 422
    other = await api.user()
    r = await api.client.post(f"/api/v1/accounts/{other.id}/mute", headers=me.headers,
                              json={"duration": -5})
    assert r.status_code == 422
    r = await api.client.post("/api/v1/follow_requests/123/approve", headers=me.headers)
    assert r.status_code == 404
