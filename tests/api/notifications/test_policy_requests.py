"""The notification filtering policy (v2 and v1 shapes) and notification requests: a filtered
notification is kept out of the list, the counts and the stream, under its sender's request;
accepting merges it back, dismissing forgets it, ``drop`` keeps nothing. Mastodon's default
filters private mentions from people one does not follow."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import connect

from tests.helpers import Api, User
from tests.helpers.oauth import scoped_headers
from tests.helpers.streaming import subscribe, ws_url

POLICY = "/api/v2/notifications/policy"
REQUESTS = "/api/v1/notifications/requests"


async def notes(api: Api, user: User, **params: Any) -> list[dict]:
    r = await api.client.get("/api/v1/notifications", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def groups(api: Api, user: User, **params: Any) -> list[dict]:
    r = await api.client.get("/api/v2/notifications", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()["notification_groups"]


async def requests_of(api: Api, user: User) -> list[dict]:
    r = await api.client.get(REQUESTS, headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def set_policy(api: Api, user: User, **changes: str) -> dict:
    r = await api.client.patch(POLICY, headers=user.headers, json=changes)
    assert r.status_code == 200, r.text
    return r.json()


async def unread(api: Api, user: User) -> int:
    r = await api.client.get("/api/v1/notifications/unread_count", headers=user.headers)
    return r.json()["count"]


async def favourite(api: Api, fan: User, status: dict) -> None:
    r = await api.client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=fan.headers)
    assert r.status_code == 200, r.text


async def test_the_default_policy_filters_private_mentions_from_strangers(api: Api) -> None:
    me, stranger, friend = await api.user(), await api.user(), await api.user()
    r = await api.client.get(POLICY, headers=me.headers)
    assert r.json() == {
        "for_not_following": "accept", "for_not_followers": "accept",
        "for_new_accounts": "accept", "for_private_mentions": "filter",
        "for_limited_accounts": "filter",
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0}}
    r = await api.client.get("/api/v1/notifications/policy", headers=me.headers)
    assert r.json() == {
        "filter_not_following": False, "filter_not_followers": False,
        "filter_new_accounts": False, "filter_private_mentions": True,
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0}}
    await api.follow(me, friend)
    mine = await api.post(me, f"@{stranger.username} a word in private", visibility="direct")
    await api.idle()
    await api.post(stranger, f"@{me.username} psst", visibility="direct")  # filtered
    await api.post(stranger, f"@{me.username} in public")  # not private: shown
    await api.post(stranger, f"@{me.username} answering you", visibility="direct",
                   in_reply_to_id=mine["id"])  # answers me: shown
    await api.post(friend, f"@{me.username} from a friend", visibility="direct")  # I follow
    await api.idle()
    shown = await notes(api, me)
    assert len(shown) == 3 and all(n["type"] == "mention" for n in shown)
    assert "psst" not in json.dumps(shown)
    assert await unread(api, me) == 3
    [request] = await requests_of(api, me)
    assert request["account"]["id"] == stranger.id
    assert request["notifications_count"] == "1"
    assert "psst" in request["last_status"]["content"]
    r = await api.client.get(POLICY, headers=me.headers)
    assert r.json()["summary"] == {"pending_requests_count": 1,
                                   "pending_notifications_count": 1}
    # Asked for, or asked of that one sender, the filtered one is there, marked.
    with_filtered = await notes(api, me, include_filtered="true")
    assert len(with_filtered) == 4
    assert [n.get("filtered") for n in with_filtered if "psst" in json.dumps(n)] == [True]
    assert len(await notes(api, me, account_id=stranger.id)) == 3
    assert len(await groups(api, me, include_filtered="true")) == 4


async def test_filter_then_accept_merges_and_lets_the_sender_through(api: Api) -> None:
    me, stranger = await api.user(), await api.user()
    await set_policy(api, me, for_not_following="filter")
    post = await api.post(me, "like it?")
    await favourite(api, stranger, post)
    await api.follow(stranger, me)
    await api.idle()
    assert await notes(api, me) == [] and await groups(api, me) == []
    assert await unread(api, me) == 0
    [request] = await requests_of(api, me)
    assert request["notifications_count"] == "2"
    assert request["last_status"]["id"] == post["id"]
    r = await api.client.get(f"{REQUESTS}/{request['id']}", headers=me.headers)
    assert r.status_code == 200 and r.json()["id"] == request["id"]

    r = await api.client.post(f"{REQUESTS}/{request['id']}/accept", headers=me.headers)
    assert (r.status_code, r.json()) == (200, {})
    r = await api.client.get(f"{REQUESTS}/merged", headers=me.headers)
    assert r.json() == {"merged": True}
    assert sorted(n["type"] for n in await notes(api, me)) == ["favourite", "follow"]
    assert sorted(g["type"] for g in await groups(api, me)) == ["favourite", "follow"]
    assert await unread(api, me) == 2
    assert await requests_of(api, me) == []
    r = await api.client.get(f"{REQUESTS}/{request['id']}", headers=me.headers)
    assert r.status_code == 404
    # From now on the sender comes through, though the policy still filters strangers.
    await api.post(stranger, f"@{me.username} thanks")
    other = await api.user()
    await favourite(api, other, post)
    await api.idle()
    assert [n["type"] for n in await notes(api, me)][0] == "mention"
    assert [r["account"]["id"] for r in await requests_of(api, me)] == [other.id]


async def test_dismiss_forgets_and_drop_keeps_nothing(api: Api) -> None:
    me, pest, pest2 = await api.user(), await api.user(), await api.user()
    await set_policy(api, me, for_not_following="filter")
    post = await api.post(me, "hello")
    for someone in (pest, pest2):
        await favourite(api, someone, post)
    await api.idle()
    found = await requests_of(api, me)
    assert len(found) == 2
    r = await api.client.post(f"{REQUESTS}/{found[0]['id']}/dismiss", headers=me.headers)
    assert (r.status_code, r.json()) == (200, {})
    assert [x["id"] for x in await requests_of(api, me)] == [found[1]["id"]]
    assert len(await notes(api, me, include_filtered="true")) == 1
    # The bulk form, with an id of nothing among them: skipped.
    r = await api.client.post(f"{REQUESTS}/dismiss", headers=me.headers,
                              data={"id[]": [found[1]["id"], "12345"]})
    assert r.status_code == 200
    assert await requests_of(api, me) == []
    assert await notes(api, me, include_filtered="true") == []
    assert (await api.client.get(POLICY, headers=me.headers)).json()["summary"] == {
        "pending_requests_count": 0, "pending_notifications_count": 0}

    policy = await set_policy(api, me, for_not_following="drop")
    assert policy["for_not_following"] == "drop" and policy["for_private_mentions"] == "filter"
    third = await api.user()
    await favourite(api, third, post)
    await api.follow(third, me)
    await api.idle()
    assert await notes(api, me, include_filtered="true") == []
    assert await requests_of(api, me) == []
    # Someone I follow is not a stranger.
    friend = await api.user()
    await api.follow(me, friend)
    await api.idle()
    await favourite(api, friend, post)
    await api.idle()
    assert [n["account"]["id"] for n in await notes(api, me)] == [friend.id]


async def test_bulk_accept_and_the_stream_hears_only_what_is_shown(api: Api) -> None:
    me = await api.user()
    await set_policy(api, me, for_not_followers="filter")
    post = await api.post(me, "stream me")
    strangers = [await api.user() for _ in range(2)]
    # A follower of under three days does not count as one yet: filtered too.
    follower = await api.user()
    await api.follow(follower, me)
    await api.idle()
    async with connect(ws_url(api, f"?access_token={me.token}"), proxy=None) as ws:
        await subscribe(ws, "user:notification")
        for someone in (*strangers, follower):
            await favourite(api, someone, post)  # filtered: not streamed
        await api.post(strangers[0], f"@{me.username} also filtered")
        await api.idle()
        found = await requests_of(api, me)
        assert {x["account"]["id"] for x in found} == {*(s.id for s in strangers), follower.id}
        r = await api.client.post(f"{REQUESTS}/accept", headers=me.headers,
                                  json={"id": [x["id"] for x in found]})
        assert r.status_code == 200
        await api.post(strangers[1], f"@{me.username} now you hear me")
        got = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert got["event"] == "notification"
        assert "now you hear me" in json.loads(got["payload"])["status"]["content"]
    # The follow, three favourites, the filtered mention merged, the last mention.
    assert len(await notes(api, me)) == 6
    assert await requests_of(api, me) == []


async def test_refusals(api: Api) -> None:
    me, other = await api.user(), await api.user()
    await set_policy(api, other, for_not_following="filter")
    post = await api.post(other, "mine")
    await favourite(api, me, post)
    await api.idle()
    [theirs] = await requests_of(api, other)
    for path in (POLICY, "/api/v1/notifications/policy", REQUESTS, f"{REQUESTS}/merged",
                 f"{REQUESTS}/{theirs['id']}"):
        assert (await api.client.get(path)).status_code == 401, path
    assert (await api.client.patch(POLICY, json={})).status_code == 401
    # Someone else's request is nobody's.
    assert (await api.client.get(f"{REQUESTS}/{theirs['id']}", headers=me.headers)
            ).status_code == 404
    for action in ("accept", "dismiss"):
        r = await api.client.post(f"{REQUESTS}/{theirs['id']}/{action}", headers=me.headers)
        assert r.status_code == 404, action
        r = await api.client.post(f"{REQUESTS}/{action}", headers=me.headers,
                                  json={"id": [theirs["id"]]})
        assert r.status_code == 200, action
    assert (await api.client.get(f"{REQUESTS}/nonsense", headers=me.headers)).status_code == 404
    assert [x["id"] for x in await requests_of(api, other)] == [theirs["id"]]
    # Scopes: reading needs read:notifications, changing write:notifications.
    statuses_only = await scoped_headers(api, other, "read:statuses")
    reader = await scoped_headers(api, other, "read:notifications")
    for path in (POLICY, REQUESTS, f"{REQUESTS}/{theirs['id']}"):
        assert (await api.client.get(path, headers=statuses_only)).status_code == 403, path
        assert (await api.client.get(path, headers=reader)).status_code == 200, path
    assert (await api.client.patch(POLICY, headers=reader, json={})).status_code == 403
    r = await api.client.post(f"{REQUESTS}/{theirs['id']}/accept", headers=reader)
    assert r.status_code == 403
    # A value the policy does not know is named; an unknown field is ignored.
    for bad in ({"for_not_following": "maybe"}, {"for_private_mentions": ""}):
        r = await api.client.patch(POLICY, headers=other.headers, json=bad)
        assert r.status_code == 422 and next(iter(bad)) in r.text, r.text
    r = await api.client.patch("/api/v1/notifications/policy", headers=other.headers,
                               json={"filter_not_following": "sometimes"})
    assert r.status_code == 422
    r = await api.client.patch(POLICY, headers=other.headers,
                               json={"for_bots": "drop", "for_new_accounts": "filter"})
    assert r.status_code == 200 and r.json()["for_new_accounts"] == "filter"
    r = await api.client.patch("/api/v1/notifications/policy", headers=other.headers,
                               data={"filter_private_mentions": "false"})
    assert r.status_code == 200 and r.json()["filter_private_mentions"] is False
    assert (await api.client.get(POLICY, headers=other.headers)
            ).json()["for_private_mentions"] == "accept"
