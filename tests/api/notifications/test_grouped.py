"""Grouped notifications (Mastodon 4.3's /api/v2/notifications): favourites and reblogs group by
status, follows together, the rest alone; pages of groups with a Link header; one group, its
accounts, dismissing it; the unread count of groups against the marker; refusals."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.helpers import Api, User
from tests.helpers.oauth import scoped_headers


async def grouped(api: Api, user: User, **params: Any) -> httpx.Response:
    r = await api.client.get("/api/v2/notifications", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return r


async def groups_of(api: Api, user: User, **params: Any) -> list[dict]:
    return (await grouped(api, user, **params)).json()["notification_groups"]


async def favourite(api: Api, fan: User, status: dict) -> None:
    r = await api.client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=fan.headers)
    assert r.status_code == 200, r.text


def next_link(response: httpx.Response) -> str | None:
    found = re.search(r'<([^>]+)>; rel="next"', response.headers.get("link", ""))
    return found.group(1) if found else None


async def test_favourites_of_a_status_make_one_group(api: Api) -> None:
    me = await api.user()
    post = await api.post(me, "favourite me")
    fans = [await api.user() for _ in range(3)]
    for fan in fans:
        await favourite(api, fan, post)
    await api.idle()
    body = (await grouped(api, me)).json()
    [group] = body["notification_groups"]
    assert group["type"] == "favourite"
    assert re.fullmatch(rf"favourite-{post['id']}-\d+", group["group_key"])
    assert group["notifications_count"] == 3
    notes = (await api.client.get("/api/v1/notifications", headers=me.headers)).json()
    # The senders newest first, as v1 lists their notifications.
    assert group["sample_account_ids"] == [n["account"]["id"] for n in notes]
    assert set(group["sample_account_ids"]) == {fan.id for fan in fans}
    assert group["status_id"] == post["id"]
    assert group["most_recent_notification_id"] == notes[0]["id"]
    assert (group["page_max_id"], group["page_min_id"]) == (notes[0]["id"], notes[2]["id"])
    assert group["latest_page_notification_at"] == notes[0]["created_at"]
    # Each account and status once, at the root; v1 names the same group.
    assert [a["id"] for a in body["accounts"]] == group["sample_account_ids"]
    assert [s["id"] for s in body["statuses"]] == [post["id"]]
    assert {n["group_key"] for n in notes} == {group["group_key"]}
    # An unfavourite takes its notification out of the group.
    gone = notes[1]["account"]["id"]
    unfan = next(fan for fan in fans if fan.id == gone)
    await api.client.post(f"/api/v1/statuses/{post['id']}/unfavourite", headers=unfan.headers)
    await api.idle()
    [group] = await groups_of(api, me)
    assert group["notifications_count"] == 2
    assert group["sample_account_ids"] == [notes[0]["account"]["id"], notes[2]["account"]["id"]]


async def test_follows_group_mentions_stay_alone(api: Api) -> None:
    me = await api.user()
    followers = [await api.user() for _ in range(2)]
    for follower in followers:
        await api.follow(follower, me)
    await api.idle()  # the follows first (graph's events), then the mentions (posts')
    talkers = [await api.user() for _ in range(2)]
    mentions = [await api.post(t, f"hello @{me.username}") for t in talkers]
    await api.idle()
    groups = await groups_of(api, me)
    assert [g["type"] for g in groups] == ["mention", "mention", "follow"]
    notes = (await api.client.get("/api/v1/notifications", headers=me.headers)).json()
    assert [g["group_key"] for g in groups[:2]] == [f"ungrouped-{n['id']}" for n in notes[:2]]
    assert [g["status_id"] for g in groups[:2]] == [n["status"]["id"] for n in notes[:2]]
    assert {g["status_id"] for g in groups[:2]} == {m["id"] for m in mentions}
    assert [g["notifications_count"] for g in groups] == [1, 1, 2]
    assert re.fullmatch(r"follow-\d+", groups[2]["group_key"])
    assert groups[2]["sample_account_ids"] == [n["account"]["id"] for n in notes[2:]]
    assert set(groups[2]["sample_account_ids"]) == {f.id for f in followers}
    assert "status_id" not in groups[2]


async def test_types_filters_and_grouped_types(api: Api) -> None:
    me = await api.user()
    post = await api.post(me, "busy post")
    fans = [await api.user() for _ in range(2)]
    for fan in fans:
        await favourite(api, fan, post)
        await api.follow(fan, me)
    await api.post(fans[0], f"@{me.username} hi")
    await api.idle()
    assert {g["type"] for g in await groups_of(api, me)} == {"favourite", "follow", "mention"}
    only = await groups_of(api, me, **{"types[]": "favourite"})
    assert [(g["type"], g["notifications_count"]) for g in only] == [("favourite", 2)]
    rest = await groups_of(api, me, **{"exclude_types[]": ["favourite", "follow"]})
    assert [g["type"] for g in rest] == ["mention"]
    # Only follows group: the favourites come one by one, as ungrouped-<id>.
    some = await groups_of(api, me, **{"grouped_types[]": "follow"})
    favourites = [g for g in some if g["type"] == "favourite"]
    assert len(favourites) == 2 and all(g["group_key"].startswith("ungrouped-")
                                        and g["notifications_count"] == 1 for g in favourites)
    assert [g["notifications_count"] for g in some if g["type"] == "follow"] == [2]
    # From one account: its favourite and its follow, each a group.
    mine = await groups_of(api, me, account_id=fans[1].id)
    assert sorted(g["type"] for g in mine) == ["favourite", "follow"]
    assert all(g["sample_account_ids"] == [fans[1].id] for g in mine)


async def test_paging_by_link_shows_each_group_once(api: Api) -> None:
    me = await api.user()
    posts = [await api.post(me, f"post {i}") for i in range(3)]
    fans = [await api.user() for _ in range(3)]
    # Interleaved: each status's favourites spread across the others', and mentions between.
    for fan in fans:
        for post in posts:
            await favourite(api, fan, post)
        await api.post(fan, f"@{me.username} psst")
        await api.follow(fan, me)
    await api.idle()
    everything = await groups_of(api, me, limit=80)
    assert len(everything) == 3 + 3 + 1  # a group per status, 3 mentions, the follows
    seen: list[dict] = []
    r = await grouped(api, me, limit=2)
    pages = 0
    while True:
        page = r.json()["notification_groups"]
        if not page:
            break
        assert len(page) <= 2
        seen += page
        pages += 1
        url = next_link(r)
        assert url is not None
        r = await api.client.get(url, headers=me.headers)
        assert r.status_code == 200, r.text
    assert pages == 4
    keys = [g["group_key"] for g in seen]
    assert len(keys) == len(set(keys))  # never twice
    assert keys == [g["group_key"] for g in everything]  # none lost, in the same order
    assert sum(g["notifications_count"] for g in seen) == 3 * 3 + 3 + 3
    # Back up from the oldest group: the newer ones, oldest first in the window, shown newest
    # first.
    up = await groups_of(api, me, min_id=everything[-1]["most_recent_notification_id"], limit=2)
    assert [g["group_key"] for g in up] == [g["group_key"] for g in everything[-3:-1]]
    since = await groups_of(api, me, since_id=everything[2]["most_recent_notification_id"])
    assert [g["group_key"] for g in since] == [g["group_key"] for g in everything[:2]]


async def test_one_group_its_accounts_and_dismissing_it(api: Api) -> None:
    me, stranger = await api.user(), await api.user()
    post = await api.post(me, "popular")
    fans = [await api.user() for _ in range(3)]
    for fan in fans:
        await favourite(api, fan, post)
    await api.post(fans[0], f"@{me.username} and a mention")
    await api.idle()
    groups = await groups_of(api, me)
    fav = next(g for g in groups if g["type"] == "favourite")
    mention = next(g for g in groups if g["type"] == "mention")
    r = await api.client.get(f"/api/v2/notifications/{fav['group_key']}", headers=me.headers)
    assert r.status_code == 200, r.text
    [one] = r.json()["notification_groups"]
    assert {k: one[k] for k in ("group_key", "notifications_count", "sample_account_ids")} == {
        k: fav[k] for k in ("group_key", "notifications_count", "sample_account_ids")}
    assert "page_max_id" not in one  # only pages say where they are
    assert [s["id"] for s in r.json()["statuses"]] == [post["id"]]
    r = await api.client.get(f"/api/v2/notifications/{mention['group_key']}",
                             headers=me.headers)
    assert r.json()["notification_groups"][0]["type"] == "mention"

    r = await api.client.get(f"/api/v2/notifications/{fav['group_key']}/accounts",
                             headers=me.headers, params={"limit": 2})
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()] == fav["sample_account_ids"][:2]
    r = await api.client.get(next_link(r) or "", headers=me.headers)
    assert [a["id"] for a in r.json()] == fav["sample_account_ids"][2:]

    # Someone else's group is nobody's to them.
    for path in (fav["group_key"], f"{fav['group_key']}/accounts", "ungrouped-12345",
                 "favourite-1-1", "x" * 300):
        r = await api.client.get(f"/api/v2/notifications/{path}", headers=stranger.headers)
        assert r.status_code == 404, (path, r.text)
    r = await api.client.post(f"/api/v2/notifications/{fav['group_key']}/dismiss",
                              headers=stranger.headers)
    assert r.status_code == 404
    assert len(await groups_of(api, me)) == 2

    r = await api.client.post(f"/api/v2/notifications/{fav['group_key']}/dismiss",
                              headers=me.headers)
    assert (r.status_code, r.json()) == (200, {})
    assert [g["group_key"] for g in await groups_of(api, me)] == [mention["group_key"]]
    notes = (await api.client.get("/api/v1/notifications", headers=me.headers)).json()
    assert [n["type"] for n in notes] == ["mention"]
    r = await api.client.get(f"/api/v2/notifications/{fav['group_key']}", headers=me.headers)
    assert r.status_code == 404
    r = await api.client.post(f"/api/v2/notifications/{fav['group_key']}/dismiss",
                              headers=me.headers)
    assert r.status_code == 404
    r = await api.client.post(f"/api/v2/notifications/{mention['group_key']}/dismiss",
                              headers=me.headers)
    assert r.status_code == 200 and await groups_of(api, me) == []


async def test_unread_count_counts_groups_after_the_marker(api: Api) -> None:
    me = await api.user()
    post = await api.post(me, "count me")
    fans = [await api.user() for _ in range(3)]
    for fan in fans:
        await favourite(api, fan, post)
    await api.idle()  # the favourites first, then the mentions
    await api.post(fans[0], f"@{me.username} one")
    await api.post(fans[1], f"@{me.username} two")
    await api.idle()

    async def count(version: str, **params: Any) -> int:
        r = await api.client.get(f"/api/{version}/notifications/unread_count",
                                 headers=me.headers, params=params)
        assert r.status_code == 200, r.text
        return r.json()["count"]

    assert await count("v2") == 3  # the favourites' group and two mentions
    assert await count("v1") == 5
    assert await count("v2", limit=2) == 2
    assert await count("v2", **{"types[]": "favourite"}) == 1
    assert await count("v2", **{"grouped_types[]": "follow"}) == 5
    assert await count("v2", account_id=fans[0].id) == 2
    assert await count("v1", account_id=fans[0].id) == 2
    notes = (await api.client.get("/api/v1/notifications", headers=me.headers)).json()
    favourites = [n["id"] for n in notes if n["type"] == "favourite"]
    # Read up to the middle favourite: the group still has an unread one, the mentions too.
    r = await api.client.post("/api/v1/markers", headers=me.headers,
                              json={"notifications": {"last_read_id": favourites[1]}})
    assert r.status_code == 200
    assert await count("v2") == 3
    assert await count("v1") == 3
    r = await api.client.post("/api/v1/markers", headers=me.headers,
                              json={"notifications": {"last_read_id": favourites[0]}})
    assert await count("v2") == 2
    assert await count("v1") == 2


async def test_refusals_and_leniency(api: Api) -> None:
    me = await api.user()
    for path in ("/api/v2/notifications", "/api/v2/notifications/unread_count",
                 "/api/v2/notifications/ungrouped-1"):
        assert (await api.client.get(path)).status_code == 401, path
    assert (await api.client.post("/api/v2/notifications/ungrouped-1/dismiss")
            ).status_code == 401
    statuses_only = await scoped_headers(api, me, "read:statuses")
    for path in ("/api/v2/notifications", "/api/v2/notifications/unread_count",
                 "/api/v2/notifications/ungrouped-1", "/api/v2/notifications/ungrouped-1/accounts"):
        assert (await api.client.get(path, headers=statuses_only)).status_code == 403, path
    reader = await scoped_headers(api, me, "read:notifications")
    assert (await api.client.get("/api/v2/notifications", headers=reader)).status_code == 200
    r = await api.client.post("/api/v2/notifications/ungrouped-1/dismiss", headers=reader)
    assert r.status_code == 403
    writer = await scoped_headers(api, me, "write:notifications")
    r = await api.client.post("/api/v2/notifications/ungrouped-1/dismiss", headers=writer)
    assert r.status_code == 404  # allowed through; there is no such group
    # Unknown parameters are ignored; a known one with a wrong value is named.
    r = await api.client.get("/api/v2/notifications", headers=me.headers,
                             params={"return_detailed_error": "true", "supported_types[]": "x",
                                     "expand_accounts": "partial_avatars"})
    assert r.status_code == 200 and r.json()["notification_groups"] == []
    for bad in ({"expand_accounts": "everything"}, {"limit": "lots"}):
        r = await api.client.get("/api/v2/notifications", headers=me.headers, params=bad)
        assert r.status_code == 422 and next(iter(bad)) in r.text, (bad, r.text)
