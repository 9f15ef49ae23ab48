"""Statuses with attachments: media_ids on POST and PUT /api/v1/statuses, media_attachments in
every status's JSON, only_media, and every way attaching is refused (422, nothing posted)."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, User
from tests.helpers.media import picture, refused_picture, uploaded


async def _ready(api: Api, user: User, count: int = 1) -> list[str]:
    """``count`` pictures uploaded and processed: their ids."""
    ids = [(await uploaded(api.client, user.headers, picture(20 + n, 20)))["id"]
           for n in range(count)]
    await api.idle()
    return ids


async def _statuses_count(api: Api, user: User) -> int:
    await api.idle()  # (graph counts statuses from their events)
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    count: int = r.json()["statuses_count"]
    return count


async def _post(api: Api, user: User, **fields: Any) -> Any:
    return await api.client.post("/api/v1/statuses", headers=user.headers, json=fields)


async def test_a_status_with_media_reaches_a_followers_home_with_its_attachments(
        api: Api) -> None:
    author, follower = await api.user(), await api.user()
    await api.follow(follower, author)
    ids = await _ready(api, author, 2)
    r = await _post(api, author, status="two pictures", media_ids=list(reversed(ids)))
    assert r.status_code == 200, r.text
    posted = r.json()
    assert [m["id"] for m in posted["media_attachments"]] == list(reversed(ids))
    await api.idle()
    home = (await api.home(follower)).json()
    [shown] = [s for s in home if s["id"] == posted["id"]]
    assert [m["id"] for m in shown["media_attachments"]] == list(reversed(ids))
    for media in shown["media_attachments"]:
        assert media["type"] == "image" and media["url"] and media["preview_url"]
        assert media["blurhash"] and media["meta"]["original"]["width"] in (20, 21)
    # The same on the status's own page, in its thread and in the author's profile.
    one = (await api.client.get(f"/api/v1/statuses/{posted['id']}",
                                headers=follower.headers)).json()
    assert one["media_attachments"] == shown["media_attachments"]
    profile = (await api.client.get(f"/api/v1/accounts/{author.id}/statuses",
                                    headers=follower.headers)).json()
    assert profile[0]["media_attachments"] == shown["media_attachments"]


async def test_a_status_may_have_media_and_no_text(api: Api) -> None:
    me = await api.user()
    [media_id] = await _ready(api, me)
    r = await api.client.post("/api/v1/statuses", headers=me.headers,
                              data={"media_ids[]": media_id})  # a form, as some clients send
    assert r.status_code == 200, r.text
    assert r.json()["content"] == "" and len(r.json()["media_attachments"]) == 1
    r = await _post(api, me, status="", media_ids=[])
    assert r.status_code == 422, r.text  # no text and nothing attached


async def test_someone_elses_media_cannot_be_attached(api: Api) -> None:
    owner, thief = await api.user(), await api.user()
    [media_id] = await _ready(api, owner)
    before = await _statuses_count(api, thief)
    r = await _post(api, thief, status="look what I found", media_ids=[media_id])
    assert r.status_code == 422, r.text
    assert "not yours" in r.json()["error"]
    assert await _statuses_count(api, thief) == before
    r = await _post(api, thief, status="or this", media_ids=["99999999999"])
    assert r.status_code == 422, r.text
    r = await _post(api, thief, status="or this", media_ids=["not-an-id"])
    assert r.status_code == 422, r.text


async def test_media_attached_once_cannot_be_attached_again(api: Api) -> None:
    me = await api.user()
    [media_id] = await _ready(api, me)
    assert (await _post(api, me, status="first", media_ids=[media_id])).status_code == 200
    before = await _statuses_count(api, me)
    r = await _post(api, me, status="second", media_ids=[media_id])
    assert r.status_code == 422, r.text
    assert await _statuses_count(api, me) == before


async def test_at_most_four_files_and_none_with_a_poll(api: Api) -> None:
    me = await api.user()
    ids = await _ready(api, me, 5)
    r = await _post(api, me, status="five", media_ids=ids)
    assert r.status_code == 422 and "more than 4" in r.json()["error"], r.text
    r = await _post(api, me, status="poll", media_ids=ids[:1],
                    poll={"options": ["a", "b"], "expires_in": 600})
    assert r.status_code == 422, r.text
    r = await _post(api, me, status="four", media_ids=ids[:4])
    assert r.status_code == 200, r.text


async def test_media_not_processed_cannot_be_attached(api: Api) -> None:
    me = await api.user()
    broken = await refused_picture(api, me.headers, int(me.id))
    r = await _post(api, me, status="broken", media_ids=[broken])
    assert r.status_code == 422, r.text
    assert "could not be processed" in r.json()["error"]


async def test_attached_media_cannot_be_deleted(api: Api) -> None:
    me = await api.user()
    [media_id] = await _ready(api, me)
    assert (await _post(api, me, status="kept", media_ids=[media_id])).status_code == 200
    r = await api.client.delete(f"/api/v1/media/{media_id}", headers=me.headers)
    assert r.status_code == 422, r.text
    assert (await api.client.get(f"/api/v1/media/{media_id}",
                                 headers=me.headers)).status_code == 200


async def test_an_edit_changes_attachments_and_their_descriptions(api: Api) -> None:
    me, other = await api.user(), await api.user()
    first, second, third = await _ready(api, me, 3)
    [elsewhere] = await _ready(api, other)
    posted = (await _post(api, me, status="edit me", media_ids=[first, second])).json()
    path = f"/api/v1/statuses/{posted['id']}"
    r = await api.client.put(path, headers=me.headers, json={
        "status": "edited", "media_ids": [third, first],
        "media_attributes": [{"id": first, "description": "now described"}]})
    assert r.status_code == 200, r.text
    attached = r.json()["media_attachments"]
    assert [m["id"] for m in attached] == [third, first]
    assert attached[1]["description"] == "now described"
    # A text-only edit keeps them.
    r = await api.client.put(path, headers=me.headers, json={"status": "edited again"})
    assert [m["id"] for m in r.json()["media_attachments"]] == [third, first]
    # Refused: another's upload, a description of a file not attached.
    r = await api.client.put(path, headers=me.headers, json={
        "status": "x", "media_ids": [first, elsewhere]})
    assert r.status_code == 422, r.text
    r = await api.client.put(path, headers=me.headers, json={
        "status": "x", "media_attributes": [{"id": second, "description": "no"}]})
    assert r.status_code == 422, r.text
    shown = (await api.client.get(path, headers=me.headers)).json()
    assert shown["content"] == "<p>edited again</p>"
    assert [m["id"] for m in shown["media_attachments"]] == [third, first]
    # Removed from the status: the file is free to attach again.
    r = await api.client.put(path, headers=me.headers, json={"status": "none",
                                                             "media_ids": []})
    assert r.status_code == 200 and r.json()["media_attachments"] == [], r.text
    assert (await _post(api, me, status="again", media_ids=[second])).status_code == 200


async def test_a_description_changed_later_shows_on_the_status(api: Api) -> None:
    me, reader = await api.user(), await api.user()
    await api.follow(reader, me)
    [media_id] = await _ready(api, me)
    posted = (await _post(api, me, status="described later", media_ids=[media_id])).json()
    await api.idle()
    await api.home(reader)  # cached, as a page
    r = await api.client.put(f"/api/v1/media/{media_id}", headers=me.headers,
                             json={"description": "a late description"})
    assert r.status_code == 200, r.text
    home = (await api.home(reader)).json()
    [shown] = [s for s in home if s["id"] == posted["id"]]
    assert shown["media_attachments"][0]["description"] == "a late description"


async def test_only_media_on_a_profile_and_the_public_timeline(api: Api) -> None:
    me, reader = await api.user(), await api.user()
    [media_id] = await _ready(api, me)
    plain = (await _post(api, me, status="words only", visibility="public")).json()
    pictured = (await _post(api, me, status="with a picture", visibility="public",
                            media_ids=[media_id])).json()
    await api.idle()
    r = await api.client.get(f"/api/v1/accounts/{me.id}/statuses", headers=reader.headers,
                             params={"only_media": "true"})
    assert [s["id"] for s in r.json()] == [pictured["id"]]
    r = await api.client.get("/api/v1/timelines/public", headers=reader.headers,
                             params={"only_media": "true", "limit": 40})
    ids = [s["id"] for s in r.json()]
    assert pictured["id"] in ids and plain["id"] not in ids
    assert all(s["media_attachments"] for s in r.json())
    r = await api.client.get("/api/v1/timelines/public", headers=reader.headers,
                             params={"limit": 40})
    assert plain["id"] in [s["id"] for s in r.json()]
