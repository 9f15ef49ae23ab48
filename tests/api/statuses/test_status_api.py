"""The status API against the running services: read many, edit with history, delete, favourite,
reblog, bookmark, pin, replies and threads, Idempotency-Key scope."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect

from tests.helpers import Api
from tests.helpers.statuses import act, get_status, home_ids, notes


def ws_url(api: Api) -> str:
    return api.stack.base_url.replace("http://", "ws://") + "/api/v1/streaming"


async def subscribe_user(ws) -> None:
    await ws.send(json.dumps({"type": "subscribe", "stream": "user"}))
    await asyncio.sleep(0.2)  # the gateway subscribes to NATS before the next action


async def wait_for_event(ws, name: str, timeout: float = 5.0) -> dict:
    """The first event called ``name``, skipping others (e.g. notifications)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), deadline - loop.time()))
        if message.get("event") == name:
            return message


# 1. Several at once ---------------------------------------------------------------------------

async def test_get_many_keeps_order_skips_unknown_and_invisible(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    first = await api.post(author, "first")
    second = await api.post(author, "second")
    private = await api.post(author, "followers only", visibility="private")
    r = await api.client.get(
        "/api/v1/statuses", headers=reader.headers,
        params=[("id[]", second["id"]), ("id[]", "999999999"), ("id[]", private["id"]),
                ("id[]", "not-an-id"), ("id[]", first["id"])])
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()] == [second["id"], first["id"]]


# 2. Edit, history, source ---------------------------------------------------------------------

async def test_edit_changes_content_and_sets_edited_at(api: Api) -> None:
    author = await api.user()
    status = await api.post(author, "first draft")
    assert status["edited_at"] is None
    r = await api.client.put(f"/api/v1/statuses/{status['id']}", headers=author.headers,
                             json={"status": "second draft", "spoiler_text": "cw"})
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["id"] == status["id"]
    assert "second draft" in edited["content"] and "first draft" not in edited["content"]
    assert edited["edited_at"] is not None
    assert edited["spoiler_text"] == "cw" and edited["sensitive"] is True
    fetched = (await get_status(api, author, status["id"])).json()
    assert "second draft" in fetched["content"] and fetched["edited_at"] == edited["edited_at"]


async def test_edit_by_another_is_403_and_unknown_is_404(api: Api) -> None:
    author, other = await api.user(), await api.user()
    status = await api.post(author, "mine")
    r = await api.client.put(f"/api/v1/statuses/{status['id']}", headers=other.headers,
                             json={"status": "hijacked"})
    assert r.status_code == 403, r.text
    assert "mine" in (await get_status(api, author, status["id"])).json()["content"]
    r = await api.client.put("/api/v1/statuses/999999999", headers=author.headers,
                             json={"status": "nothing here"})
    assert r.status_code == 404, r.text


async def test_history_lists_original_then_edit(api: Api) -> None:
    author = await api.user()
    status = await api.post(author, "original words")
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/history", headers=author.headers)
    assert r.status_code == 200 and len(r.json()) == 1  # never edited: just the original
    await api.client.put(f"/api/v1/statuses/{status['id']}", headers=author.headers,
                         json={"status": "edited words"})
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/history", headers=author.headers)
    assert r.status_code == 200, r.text
    history = r.json()
    assert len(history) == 2
    assert "original words" in history[0]["content"]
    assert "edited words" in history[1]["content"]
    assert history[0]["created_at"] == status["created_at"]
    assert history[0]["created_at"] <= history[1]["created_at"]
    assert all(h["account"]["id"] == author.id for h in history)


async def test_source_is_for_the_author_only(api: Api) -> None:
    author, other = await api.user(), await api.user()
    status = await api.post(author, "raw *text* here", spoiler_text="careful")
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/source", headers=author.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": status["id"], "text": "raw *text* here",
                        "spoiler_text": "careful"}
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/source", headers=other.headers)
    assert r.status_code == 404


async def test_edit_adding_a_mention_notifies_the_newly_mentioned_once(api: Api) -> None:
    author, friend = await api.user(), await api.user()
    status = await api.post(author, "no one yet")
    await api.idle()
    url = f"/api/v1/statuses/{status['id']}"
    r = await api.client.put(url, headers=author.headers,
                             json={"status": f"now with @{friend.username}"})
    assert r.status_code == 200, r.text
    assert [m["id"] for m in r.json()["mentions"]] == [friend.id]
    await api.idle()
    # A second edit that keeps the mention is not a new mention.
    await api.client.put(url, headers=author.headers,
                         json={"status": f"still with @{friend.username}"})
    await api.idle()
    mentions = await notes(api, friend, "mention")
    assert [(n["status"]["id"], n["account"]["id"]) for n in mentions] == [
        (status["id"], author.id)]


async def test_follower_streaming_gets_status_update_on_edit(api: Api) -> None:
    author, follower = await api.user(), await api.user()
    await api.follow(follower, author)
    status = await api.post(author, "before the edit")
    await api.idle()
    async with connect(ws_url(api), additional_headers=follower.headers, proxy=None) as ws:
        await subscribe_user(ws)
        r = await api.client.put(f"/api/v1/statuses/{status['id']}", headers=author.headers,
                                 json={"status": "after the edit"})
        assert r.status_code == 200, r.text
        event = await wait_for_event(ws, "status.update")
        payload = json.loads(event["payload"])
        assert payload["id"] == status["id"]
        assert "after the edit" in payload["content"]
        assert payload["edited_at"] is not None


# 3. Delete ------------------------------------------------------------------------------------

async def test_delete_returns_source_then_404s(api: Api) -> None:
    author = await api.user()
    status = await api.post(author, "to be *redrafted*", spoiler_text="cw")
    r = await api.client.delete(f"/api/v1/statuses/{status['id']}", headers=author.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == status["id"]
    assert body["text"] == "to be *redrafted*" and body["spoiler_text"] == "cw"
    assert (await get_status(api, author, status["id"])).status_code == 404
    r = await api.client.delete(f"/api/v1/statuses/{status['id']}", headers=author.headers)
    assert r.status_code == 404


async def test_delete_by_another_is_403(api: Api) -> None:
    author, other = await api.user(), await api.user()
    status = await api.post(author, "not yours")
    r = await api.client.delete(f"/api/v1/statuses/{status['id']}", headers=other.headers)
    assert r.status_code == 403, r.text
    assert (await get_status(api, author, status["id"])).status_code == 200


async def test_follower_streaming_gets_delete_event(api: Api) -> None:
    author, follower = await api.user(), await api.user()
    await api.follow(follower, author)
    status = await api.post(author, "short-lived")
    await api.idle()
    async with connect(ws_url(api), additional_headers=follower.headers, proxy=None) as ws:
        await subscribe_user(ws)
        r = await api.client.delete(f"/api/v1/statuses/{status['id']}", headers=author.headers)
        assert r.status_code == 200
        event = await wait_for_event(ws, "delete")
        assert event["stream"] == ["user"]
        assert event["payload"] == status["id"]


# 4. Favourites --------------------------------------------------------------------------------

async def test_favourite_and_unfavourite(api: Api) -> None:
    author, fan = await api.user(), await api.user()
    status = await api.post(author, "like me")
    r = await act(api, fan, status["id"], "favourite")
    assert r.status_code == 200, r.text
    assert r.json()["favourited"] is True and r.json()["favourites_count"] == 1
    r = await act(api, fan, status["id"], "favourite")  # twice: still one
    assert r.json()["favourited"] is True and r.json()["favourites_count"] == 1
    fetched = (await get_status(api, fan, status["id"])).json()
    assert fetched["favourited"] is True and fetched["favourites_count"] == 1
    assert (await get_status(api, author, status["id"])).json()["favourited"] is False
    await api.idle()
    favourites = await notes(api, author, "favourite")
    assert [(n["account"]["id"], n["status"]["id"]) for n in favourites] == [
        (fan.id, status["id"])]

    r = await act(api, fan, status["id"], "unfavourite")
    assert r.status_code == 200
    assert r.json()["favourited"] is False and r.json()["favourites_count"] == 0
    r = await act(api, fan, status["id"], "unfavourite")  # twice: harmless
    assert r.status_code == 200 and r.json()["favourites_count"] == 0
    fetched = (await get_status(api, fan, status["id"])).json()
    assert fetched["favourited"] is False and fetched["favourites_count"] == 0


async def test_favourited_by_and_favourites_list(api: Api) -> None:
    author, fan = await api.user(), await api.user()
    status = await api.post(author, "like me")
    other = await api.post(author, "me too")
    await act(api, fan, status["id"], "favourite")
    await act(api, fan, other["id"], "favourite")
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/favourited_by",
                             headers=author.headers)
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()] == [fan.id]
    assert 'rel="next"' in r.headers["link"] and "max_id=" in r.headers["link"]
    r = await api.client.get("/api/v1/favourites", headers=fan.headers)
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()] == [other["id"], status["id"]]  # newest favourite first
    assert all(s["favourited"] for s in r.json())
    assert "link" in r.headers
    r = await api.client.get("/api/v1/favourites", headers=author.headers)
    assert r.json() == []


async def test_twenty_concurrent_favourites_count_twenty(api: Api) -> None:
    author = await api.user()
    fans = await asyncio.gather(*(api.user() for _ in range(20)))
    status = await api.post(author, "popular")
    results = await asyncio.gather(*(act(api, fan, status["id"], "favourite") for fan in fans))
    assert [r.status_code for r in results] == [200] * 20
    assert (await get_status(api, author, status["id"])).json()["favourites_count"] == 20
    await api.idle()
    assert len(await notes(api, author, "favourite")) == 20


async def test_one_account_reblogging_at_once_makes_one_reblog_counted_once(api: Api) -> None:
    author, booster = await api.user(), await api.user()
    status = await api.post(author, "boost me, many times at once")
    results = await asyncio.gather(*(act(api, booster, status["id"], "reblog")
                                     for _ in range(6)))
    assert [r.status_code for r in results] == [200] * 6
    assert len({r.json()["id"] for r in results}) == 1  # every answer is the one reblog
    assert (await get_status(api, author, status["id"])).json()["reblogs_count"] == 1
    await api.idle()
    assert len(await notes(api, author, "reblog")) == 1


async def test_unfavourite_withdraws_the_favourite_notification(api: Api) -> None:
    author, fan = await api.user(), await api.user()
    status = await api.post(author, "like me, then not")
    await act(api, fan, status["id"], "favourite")
    await api.idle()
    assert len(await notes(api, author, "favourite")) == 1
    await act(api, fan, status["id"], "unfavourite")
    await api.idle()
    assert await notes(api, author, "favourite") == []


# 5. Reblogs -----------------------------------------------------------------------------------

async def test_reblog_wraps_the_original_and_notifies_its_author(api: Api) -> None:
    author, booster = await api.user(), await api.user()
    status = await api.post(author, "worth sharing")
    r = await act(api, booster, status["id"], "reblog")
    assert r.status_code == 200, r.text
    reblog = r.json()
    assert reblog["id"] != status["id"]
    assert reblog["account"]["id"] == booster.id
    assert reblog["reblog"]["id"] == status["id"]
    assert reblog["reblog"]["reblogs_count"] == 1
    assert reblog["reblogged"] is True
    fetched = (await get_status(api, booster, status["id"])).json()
    assert fetched["reblogs_count"] == 1 and fetched["reblogged"] is True
    await api.idle()
    reblogs = await notes(api, author, "reblog")
    assert [(n["account"]["id"], n["status"]["id"]) for n in reblogs] == [
        (booster.id, status["id"])]
    r = await api.client.get(f"/api/v1/statuses/{status['id']}/reblogged_by",
                             headers=author.headers)
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()] == [booster.id]


async def test_reblog_twice_keeps_one(api: Api) -> None:
    author, booster = await api.user(), await api.user()
    status = await api.post(author, "once is enough")
    first = (await act(api, booster, status["id"], "reblog")).json()
    second = await act(api, booster, status["id"], "reblog")
    assert second.status_code == 200, second.text
    assert second.json()["id"] == first["id"]
    assert (await get_status(api, author, status["id"])).json()["reblogs_count"] == 1
    await api.idle()
    assert len(await notes(api, author, "reblog")) == 1


async def test_reblog_reaches_followers_who_want_reblogs_only(api: Api) -> None:
    author, booster = await api.user(), await api.user()
    wants, declines = await api.user(), await api.user()
    await api.follow(wants, booster)
    r = await api.client.post(f"/api/v1/accounts/{booster.id}/follow", headers=declines.headers,
                              json={"reblogs": False})
    assert r.status_code == 200, r.text
    assert r.json()["showing_reblogs"] is False
    await api.idle()
    status = await api.post(author, "boost me")
    reblog = (await act(api, booster, status["id"], "reblog")).json()
    own = await api.post(booster, "my own words")
    await api.idle()
    assert await home_ids(api, wants) == [own["id"], reblog["id"]]
    home = (await api.home(wants)).json()
    assert home[1]["reblog"]["id"] == status["id"]
    assert await home_ids(api, declines) == [own["id"]]


async def test_follow_without_reblogs_does_not_merge_past_reblogs(api: Api) -> None:
    author, booster, reader = await api.user(), await api.user(), await api.user()
    status = await api.post(author, "boost me")
    await act(api, booster, status["id"], "reblog")
    own = await api.post(booster, "my own words")
    await api.idle()
    r = await api.client.post(f"/api/v1/accounts/{booster.id}/follow", headers=reader.headers,
                              json={"reblogs": False})
    assert r.status_code == 200, r.text
    await api.idle()
    assert await home_ids(api, reader) == [own["id"]]


async def test_reblogging_private_status_of_another_is_422(api: Api) -> None:
    author, follower, stranger = await api.user(), await api.user(), await api.user()
    await api.follow(follower, author)
    private = await api.post(author, "followers only", visibility="private")
    r = await act(api, follower, private["id"], "reblog")
    assert r.status_code == 422, r.text
    r = await act(api, stranger, private["id"], "reblog")
    assert r.status_code == 404, r.text  # cannot see it: do not reveal it exists
    assert (await get_status(api, author, private["id"])).json()["reblogs_count"] == 0
    # The author may boost their own private status.
    r = await act(api, author, private["id"], "reblog")
    assert r.status_code == 200, r.text


# 6. Bookmarks and pins ------------------------------------------------------------------------

async def test_bookmark_and_unbookmark(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    first = await api.post(author, "save this")
    second = await api.post(author, "and this")
    r = await act(api, reader, first["id"], "bookmark")
    assert r.status_code == 200 and r.json()["bookmarked"] is True
    await act(api, reader, second["id"], "bookmark")
    await act(api, reader, second["id"], "bookmark")  # twice: one bookmark
    assert (await get_status(api, reader, first["id"])).json()["bookmarked"] is True
    assert (await get_status(api, author, first["id"])).json()["bookmarked"] is False
    r = await api.client.get("/api/v1/bookmarks", headers=reader.headers)
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()] == [second["id"], first["id"]]
    r = await act(api, reader, first["id"], "unbookmark")
    assert r.status_code == 200 and r.json()["bookmarked"] is False
    r = await api.client.get("/api/v1/bookmarks", headers=reader.headers)
    assert [s["id"] for s in r.json()] == [second["id"]]


async def test_bookmarking_an_invisible_status_is_404(api: Api) -> None:
    author, stranger = await api.user(), await api.user()
    private = await api.post(author, "followers only", visibility="private")
    assert (await act(api, stranger, private["id"], "bookmark")).status_code == 404


async def test_pin_and_unpin(api: Api) -> None:
    author = await api.user()
    status = await api.post(author, "pin me")
    r = await act(api, author, status["id"], "pin")
    assert r.status_code == 200, r.text
    assert r.json()["pinned"] is True
    assert (await get_status(api, author, status["id"])).json()["pinned"] is True
    r = await act(api, author, status["id"], "unpin")
    assert r.status_code == 200 and r.json()["pinned"] is False
    assert (await get_status(api, author, status["id"])).json()["pinned"] is False


async def test_pinning_anothers_status_is_422(api: Api) -> None:
    author, other = await api.user(), await api.user()
    status = await api.post(author, "not yours to pin")
    r = await act(api, other, status["id"], "pin")
    assert r.status_code == 422, r.text


async def test_sixth_pin_is_422(api: Api) -> None:
    author = await api.user()
    statuses = [await api.post(author, f"pin {i}") for i in range(6)]
    for status in statuses[:5]:
        r = await act(api, author, status["id"], "pin")
        assert r.status_code == 200, r.text
    r = await act(api, author, statuses[5]["id"], "pin")
    assert r.status_code == 422, r.text
    assert (await act(api, author, statuses[0]["id"], "pin")).status_code == 200  # re-pin: fine
    await act(api, author, statuses[0]["id"], "unpin")
    assert (await act(api, author, statuses[5]["id"], "pin")).status_code == 200


# 8. Replies and threads -----------------------------------------------------------------------

async def test_reply_without_mention_notifies_the_parent_author(api: Api) -> None:
    author, replier = await api.user(), await api.user()
    parent = await api.post(author, "what do you think?")
    reply = await api.post(replier, "no mention here", in_reply_to_id=parent["id"])
    await api.idle()
    mentions = await notes(api, author, "mention")
    assert [(n["account"]["id"], n["status"]["id"]) for n in mentions] == [
        (replier.id, reply["id"])]
    # Replying with an @mention too still makes one notification, not two.
    again = await api.post(replier, f"@{author.username} again", in_reply_to_id=parent["id"])
    await api.idle()
    mentions = await notes(api, author, "mention")
    assert [n["status"]["id"] for n in mentions] == [again["id"], reply["id"]]


async def test_context_of_a_three_level_thread(api: Api) -> None:
    a, b, c = await api.user(), await api.user(), await api.user()
    root = await api.post(a, "root")
    middle = await api.post(b, "reply", in_reply_to_id=root["id"])
    leaf = await api.post(c, "reply to reply", in_reply_to_id=middle["id"])
    r = await api.client.get(f"/api/v1/statuses/{middle['id']}/context", headers=a.headers)
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["ancestors"]] == [root["id"]]
    assert [s["id"] for s in r.json()["descendants"]] == [leaf["id"]]
    r = await api.client.get(f"/api/v1/statuses/{root['id']}/context", headers=a.headers)
    assert r.json()["ancestors"] == []
    assert [s["id"] for s in r.json()["descendants"]] == [middle["id"], leaf["id"]]
    r = await api.client.get(f"/api/v1/statuses/{leaf['id']}/context", headers=a.headers)
    assert [s["id"] for s in r.json()["ancestors"]] == [root["id"], middle["id"]]
    assert r.json()["descendants"] == []


# 9. Idempotency-Key ---------------------------------------------------------------------------

async def test_same_idempotency_key_from_two_users_makes_two_statuses(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    key = {"Idempotency-Key": "shared-key"}
    first = await api.client.post("/api/v1/statuses", headers={**alice.headers, **key},
                                  json={"status": "alice says"})
    second = await api.client.post("/api/v1/statuses", headers={**bob.headers, **key},
                                   json={"status": "bob says"})
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["account"]["id"] == alice.id
    assert second.json()["account"]["id"] == bob.id
    assert "bob says" in second.json()["content"]


# 3b. Delete, with replies and reblogs --------------------------------------------------------


async def test_deleting_a_reblog_directly_is_like_unreblog(api: Api) -> None:
    author, booster = await api.user(), await api.user()
    status = await api.post(author, "boost me")
    reblog = (await act(api, booster, status["id"], "reblog")).json()
    await api.idle()
    assert len(await notes(api, author, "reblog")) == 1
    r = await api.client.delete(f"/api/v1/statuses/{reblog['id']}", headers=booster.headers)
    assert r.status_code == 200, r.text
    await api.idle()
    fetched = (await get_status(api, booster, status["id"])).json()
    assert fetched["reblogs_count"] == 0 and fetched["reblogged"] is False
    assert await notes(api, author, "reblog") == []
