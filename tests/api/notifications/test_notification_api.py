"""The rest of the notifications API: dismiss, clear, unread count, markers, `status` type."""

from __future__ import annotations

from tests.helpers import Api


async def notes(api: Api, user) -> list[dict]:
    return (await api.client.get("/api/v1/notifications", headers=user.headers)).json()


async def test_dismiss_clear_and_unread_count(api: Api) -> None:
    me = await api.user()
    fans = [await api.user() for _ in range(3)]
    for fan in fans:
        await api.follow(fan, me)
    await api.idle()
    got = await notes(api, me)
    assert len(got) == 3
    count = await api.client.get("/api/v1/notifications/unread_count", headers=me.headers)
    assert count.json() == {"count": 3}

    r = await api.client.post("/api/v1/markers", headers=me.headers,
                              json={"notifications": {"last_read_id": got[1]["id"]}})
    assert r.status_code == 200
    assert r.json()["notifications"]["last_read_id"] == got[1]["id"]
    count = await api.client.get("/api/v1/notifications/unread_count", headers=me.headers)
    assert count.json() == {"count": 1}
    markers = await api.client.get("/api/v1/markers", headers=me.headers,
                                   params={"timeline[]": ["notifications", "home"]})
    assert set(markers.json()) == {"notifications"}
    assert markers.json()["notifications"]["version"] == 1

    r = await api.client.post(f"/api/v1/notifications/{got[0]['id']}/dismiss",
                              headers=me.headers)
    assert r.status_code == 200
    assert [n["id"] for n in await notes(api, me)] == [got[1]["id"], got[2]["id"]]
    again = await api.client.post(f"/api/v1/notifications/{got[0]['id']}/dismiss",
                                  headers=me.headers)
    assert again.status_code == 404
    await api.client.post("/api/v1/notifications/clear", headers=me.headers)
    assert await notes(api, me) == []


async def test_home_marker_and_bad_markers(api: Api) -> None:
    me = await api.user()
    r = await api.client.post("/api/v1/markers", headers=me.headers,
                              data={"home[last_read_id]": "12345"})
    assert r.json()["home"]["last_read_id"] == "12345"
    r = await api.client.post("/api/v1/markers", headers=me.headers,
                              data={"home[last_read_id]": "99999"})
    assert r.json()["home"]["version"] == 2
    assert (await api.client.post("/api/v1/markers", headers=me.headers,
                                  json={})).status_code == 422
    assert (await api.client.post("/api/v1/markers", headers=me.headers,
                                  json={"home": {"last_read_id": "x"}})).status_code == 422


async def test_status_notification_for_bell_followers(api: Api) -> None:
    author, bell, plain = await api.user(), await api.user(), await api.user()
    r = await api.client.post(f"/api/v1/accounts/{author.id}/follow", headers=bell.headers,
                              json={"notify": True})
    assert r.json()["notifying"] is True
    await api.follow(plain, author)
    status = await api.post(author, "ding")
    await api.idle()
    assert [(n["type"], n["status"]["id"]) for n in await notes(api, bell)] == [
        ("status", status["id"])]
    assert await notes(api, plain) == []


async def test_community_invitation_notifies_the_invitee(api: Api) -> None:
    owner = await api.user(domain="hostco.test")
    guest = await api.user(domain="partner.test")
    c = (await api.client.post("/api/hubbub/v1/communities", headers=owner.headers,
                               json={"name": "Partners " + owner.username,
                                     "external": True})).json()
    r = await api.client.post(f"/api/hubbub/v1/communities/{c['id']}/invite",
                              headers=owner.headers, json={"account_id": guest.id})
    assert r.status_code == 200, r.text
    await api.idle()
    got = await notes(api, guest)
    assert [(n["type"], n["account"]["id"], n["hubbub"]["community_id"]) for n in got] == [
        ("hubbub.community_invite", owner.id, c["id"])]


async def test_community_post_notifies_members_who_asked(api: Api) -> None:
    owner, keen, quiet = await api.user(), await api.user(), await api.user()
    c = (await api.client.post("/api/hubbub/v1/communities", headers=owner.headers,
                               json={"name": "Keen " + owner.username})).json()
    for member in (keen, quiet):
        await api.client.post(f"/api/hubbub/v1/communities/{c['id']}/join",
                              headers=member.headers)
    r = await api.client.post(f"/api/hubbub/v1/communities/{c['id']}/notify",
                              headers=keen.headers, json={"notify": True})
    assert r.status_code == 200
    post = await api.post(owner, "news for the community", community_id=c["id"])
    await api.idle()
    got = await notes(api, keen)
    assert [(n["type"], n["status"]["id"], n["hubbub"]["community_id"]) for n in got] == [
        ("hubbub.community_post", post["id"], c["id"])]
    assert await notes(api, quiet) == []
    outsider = await api.user()
    r = await api.client.post(f"/api/hubbub/v1/communities/{c['id']}/notify",
                              headers=outsider.headers, json={"notify": True})
    assert r.status_code == 404
