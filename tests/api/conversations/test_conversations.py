"""Direct conversations (/api/v1/conversations): what each participant lists, unread and read,
a third participant joining, removing for one side only, deletions moving the last status back,
paging by the Link header, the ``direct`` stream's event equal to the REST entity, visibility
after a block, and the refusals."""

from __future__ import annotations

import json
from typing import Any

from websockets.asyncio.client import connect

from tests.helpers import Api, User
from tests.helpers.oauth import scoped_headers
from tests.helpers.streaming import next_event, subscribe, ws_url

URL = "/api/v1/conversations"


async def listed(api: Api, user: User, **params: Any) -> list[dict]:
    r = await api.client.get(URL, headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def dm(api: Api, author: User, text: str, to: list[User], **fields: Any) -> dict:
    mentions = " ".join(f"@{u.username}" for u in to)
    return await api.post(author, f"{mentions} {text}", visibility="direct", **fields)


async def read(api: Api, user: User, conversation_id: str) -> dict:
    r = await api.client.post(f"{URL}/{conversation_id}/read", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def people(conversation: dict) -> list[str]:
    return sorted(a["id"] for a in conversation["accounts"])


async def test_two_accounts_exchange_direct_messages(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    first = await dm(api, alice, "lunch?", [bob])
    await api.idle()
    [theirs] = await listed(api, bob)
    assert theirs["unread"] is True
    assert people(theirs) == [alice.id]
    assert theirs["last_status"]["id"] == first["id"]
    [mine] = await listed(api, alice)
    assert mine["id"] == theirs["id"] and mine["unread"] is False
    assert people(mine) == [bob.id]

    reply = await dm(api, bob, "sure", [alice], in_reply_to_id=first["id"])
    await api.idle()
    [mine] = await listed(api, alice)
    [theirs] = await listed(api, bob)
    assert mine["id"] == theirs["id"]  # one conversation: the thread
    assert mine["last_status"]["id"] == theirs["last_status"]["id"] == reply["id"]
    assert mine["unread"] is True and theirs["unread"] is False  # bob wrote the last one
    # The last status carries the viewer's own flags.
    assert mine["last_status"]["favourited"] is False

    shown = await read(api, alice, mine["id"])
    assert shown["unread"] is False and shown["last_status"]["id"] == reply["id"]
    [mine] = await listed(api, alice)
    assert mine["unread"] is False
    assert (await listed(api, bob))[0]["unread"] is False


async def test_a_third_account_mentioned_joins(api: Api) -> None:
    alice, bob, carol = await api.user(), await api.user(), await api.user()
    first = await dm(api, alice, "a plan", [bob])
    await dm(api, bob, "ask carol", [alice, carol], in_reply_to_id=first["id"])
    await api.idle()
    [mine] = await listed(api, alice)
    [hers] = await listed(api, carol)
    assert mine["id"] == hers["id"]
    assert people(mine) == sorted([bob.id, carol.id])
    assert people(hers) == sorted([alice.id, bob.id])
    assert hers["unread"] is True


async def test_alone_in_a_conversation_lists_yourself(api: Api) -> None:
    alice = await api.user()
    note = await api.post(alice, "a note to self", visibility="direct")
    await api.idle()
    [mine] = await listed(api, alice)
    assert people(mine) == [alice.id] and mine["last_status"]["id"] == note["id"]


async def test_removing_is_for_one_side_only_and_a_new_reply_brings_it_back(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    first = await dm(api, alice, "hello", [bob])
    await api.idle()
    [mine] = await listed(api, alice)
    r = await api.client.delete(f"{URL}/{mine['id']}", headers=alice.headers)
    assert r.status_code == 200 and r.json() == {}
    assert await listed(api, alice) == []
    assert [c["id"] for c in await listed(api, bob)] == [mine["id"]]
    # Removed: gone for its owner, as someone else's is.
    r = await api.client.post(f"{URL}/{mine['id']}/read", headers=alice.headers)
    assert r.status_code == 404
    again = await api.client.delete(f"{URL}/{mine['id']}", headers=alice.headers)
    assert again.status_code == 404

    reply = await dm(api, bob, "still there?", [alice], in_reply_to_id=first["id"])
    await api.idle()
    [back] = await listed(api, alice)
    assert back["id"] == mine["id"] and back["unread"] is True
    assert back["last_status"]["id"] == reply["id"]


async def test_deleting_the_last_status_moves_last_status_back(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    first = await dm(api, alice, "one", [bob])
    reply = await dm(api, bob, "two", [alice], in_reply_to_id=first["id"])
    await api.idle()
    r = await api.client.delete(f"/api/v1/statuses/{reply['id']}", headers=bob.headers)
    assert r.status_code == 200, r.text
    await api.idle()
    for user in (alice, bob):
        [conversation] = await listed(api, user)
        assert conversation["last_status"]["id"] == first["id"], user.username
    r = await api.client.delete(f"/api/v1/statuses/{first['id']}", headers=alice.headers)
    assert r.status_code == 200, r.text
    await api.idle()
    assert await listed(api, alice) == [] and await listed(api, bob) == []


async def test_paging_by_last_status_with_the_link_header(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    threads = [await dm(api, alice, f"thread {n}", [bob]) for n in range(3)]
    await api.idle()
    # A reply moves the oldest conversation to the top: ordered by last status.
    reply = await dm(api, bob, "back to the first", [alice], in_reply_to_id=threads[0]["id"])
    await api.idle()
    r = await api.client.get(URL, headers=bob.headers, params={"limit": 2})
    page = r.json()
    assert [c["last_status"]["id"] for c in page] == [reply["id"], threads[2]["id"]]
    link = r.headers["link"]
    assert f"max_id={threads[2]['id']}" in link and 'rel="next"' in link
    assert f"min_id={reply['id']}" in link and 'rel="prev"' in link
    rest = await listed(api, bob, max_id=threads[2]["id"])
    assert [c["last_status"]["id"] for c in rest] == [threads[1]["id"]]
    newer = await listed(api, bob, min_id=threads[1]["id"], limit=1)
    assert [c["last_status"]["id"] for c in newer] == [threads[2]["id"]]
    newest = await listed(api, bob, since_id=threads[2]["id"])
    assert [c["last_status"]["id"] for c in newest] == [reply["id"]]
    assert len(await listed(api, bob)) == 3  # default limit 20
    r = await api.client.get(URL, headers=bob.headers, params={"limit": 1000})
    assert r.status_code == 200 and len(r.json()) == 3  # capped at 40, not refused


def steady(conversation: dict) -> dict:
    """The entity without what changes on its own meanwhile: read state, and the accounts'
    post counters (counted by another consumer)."""
    def account(a: dict) -> dict:
        return {k: v for k, v in a.items() if k not in ("statuses_count", "last_status_at")}

    last = dict(conversation["last_status"])
    last["account"] = account(last["account"])
    return {**conversation, "unread": None, "last_status": last,
            "accounts": [account(a) for a in conversation["accounts"]]}


async def test_the_direct_streams_event_is_the_rest_entity(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    async with connect(ws_url(api), additional_headers=bob.headers, proxy=None) as theirs, \
            connect(ws_url(api), additional_headers=alice.headers, proxy=None) as mine:
        await subscribe(theirs, stream="direct")
        await subscribe(mine, stream="direct")
        await api.post(alice, "not direct")
        sent = await dm(api, alice, "just us", [bob])
        event = await next_event(theirs)
        own = await next_event(mine)
    assert event["event"] == own["event"] == "conversation"
    assert event["stream"] == own["stream"] == ["direct"]
    pushed, pushed_own = json.loads(event["payload"]), json.loads(own["payload"])
    assert pushed["unread"] is True and pushed_own["unread"] is False
    assert pushed["last_status"]["id"] == sent["id"]
    await api.idle()
    [listed_theirs] = await listed(api, bob)
    [listed_mine] = await listed(api, alice)
    assert steady(pushed) == steady(listed_theirs)
    assert steady(pushed_own) == steady(listed_mine)


async def test_a_block_hides_the_blocked_sides_statuses(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    lone = await dm(api, alice, "only mine in this one", [bob])
    first = await dm(api, alice, "hi", [bob])
    answer = await dm(api, bob, "hello", [alice], in_reply_to_id=first["id"])
    again = await dm(api, alice, "again", [bob], in_reply_to_id=answer["id"])
    await api.idle()
    r = await api.client.post(f"/api/v1/accounts/{alice.id}/block", headers=bob.headers)
    assert r.status_code == 200, r.text
    await api.idle()
    # Bob sees his own last word, none of alice's; alice sees hers, none of bob's.
    theirs, only_hers = await listed(api, bob)
    assert theirs["last_status"]["id"] == answer["id"]
    assert only_hers["id"] == lone["id"] and only_hers["last_status"] is None
    mine, _ = await listed(api, alice)
    assert mine["last_status"]["id"] == again["id"]
    await api.client.delete(f"/api/v1/statuses/{again['id']}", headers=alice.headers)
    await api.idle()
    mine, _ = await listed(api, alice)
    assert mine["last_status"]["id"] == first["id"]  # bob's answer, newer, is not hers to see


async def test_refusals(api: Api) -> None:
    alice, bob, carol = await api.user(), await api.user(), await api.user()
    await dm(api, alice, "between us", [bob])
    await api.idle()
    [mine] = await listed(api, alice)
    one = f"{URL}/{mine['id']}"
    for method, url in (("GET", URL), ("DELETE", one), ("POST", f"{one}/read")):
        assert (await api.client.request(method, url)).status_code == 401, (method, url)
    outside = {"error": "This action is outside the authorized scopes"}
    write_only = await scoped_headers(api, alice, "write:statuses")
    r = await api.client.get(URL, headers=write_only)
    assert (r.status_code, r.json()) == (403, outside)
    read_only = await scoped_headers(api, alice, "read")
    for method, url in (("DELETE", one), ("POST", f"{one}/read")):
        r = await api.client.request(method, url, headers=read_only)
        assert (r.status_code, r.json()) == (403, outside), (method, url)
    # Someone else's conversation, and ids that name nothing, are not found.
    for user, url in ((carol, one), (alice, f"{URL}/nonsense"), (alice, f"{URL}/12345")):
        for method, target in (("DELETE", url), ("POST", f"{url}/read")):
            r = await api.client.request(method, target, headers=user.headers)
            assert (r.status_code, r.json()) == (404, {"error": "Record not found"}), target
    assert await listed(api, carol) == []
    assert len(await listed(api, bob)) == 1  # carol's tries changed nothing
    # Unknown parameters are ignored; a known one of the wrong type is named.
    assert len(await listed(api, alice, return_detailed_error="true", foo="bar")) == 1
    r = await api.client.get(URL, headers=alice.headers, params={"limit": "many"})
    assert r.status_code == 422 and "limit" in r.json()["error"]
