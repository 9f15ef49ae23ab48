"""The first real path through every service: register, log in, follow, post, read the home
timeline, get notified."""

from __future__ import annotations

from tests.helpers import Api


async def test_instance_v1_and_v2(api: Api) -> None:
    v1 = (await api.client.get("/api/v1/instance")).json()
    assert v1["configuration"]["statuses"]["max_characters"] == 500
    assert v1["urls"]["streaming_api"].startswith("ws://")
    v2 = (await api.client.get("/api/v2/instance")).json()
    assert v2["configuration"]["urls"]["streaming"].startswith("ws://")
    assert "Hubbub" in v2["version"]


async def test_follow_post_home_and_notifications(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    relationship = await api.follow(bob, alice)
    assert relationship["following"] is True
    status = await api.post(alice, f"hello @{bob.username} #Launch")
    assert status["account"]["id"] == alice.id
    assert status["mentions"][0]["id"] == bob.id
    assert status["tags"] == [{"name": "launch", "url": f"{api.stack.base_url}/tags/launch"}]
    await api.idle()

    home = await api.home(bob)
    assert [s["id"] for s in home.json()] == [status["id"]]
    assert 'rel="next"' in home.headers["link"] and f"max_id={status['id']}" in home.headers["link"]

    alice_notes = (await api.client.get("/api/v1/notifications", headers=alice.headers)).json()
    assert [(n["type"], n["account"]["id"]) for n in alice_notes] == [("follow", bob.id)]
    bob_notes = (await api.client.get("/api/v1/notifications", headers=bob.headers)).json()
    assert [(n["type"], n["status"]["id"]) for n in bob_notes] == [("mention", status["id"])]

    me = (await api.client.get("/api/v1/accounts/verify_credentials",
                               headers=alice.headers)).json()
    assert (me["followers_count"], me["statuses_count"]) == (1, 1)
