"""More streaming: hashtag, list and direct streams, server-sent events with heartbeats,
delivery-time filtering, connection limits, the slow-client cut-off, and two gateways."""

from __future__ import annotations

import asyncio
import contextlib
import json

from websockets.asyncio.client import connect

from tests.helpers import Api, communities, second_gateway, unique
from tests.helpers.streaming import SSEReader, next_event, subscribe, ws_url


async def nothing(ws, timeout: float = 0.6) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ws.recv(), timeout)
        return False
    return True


async def test_hashtag_stream(api: Api) -> None:
    domain = f"{unique('n')}.test"
    author, watcher = await api.user(domain=domain), await api.user(domain=domain)
    outsider = await api.user(domain=f"{unique('o')}.test")
    tag = unique("t")
    async with connect(ws_url(api.stack.base_url), additional_headers=watcher.headers,
                       proxy=None) as ws:
        await subscribe(ws, stream="hashtag", tag=tag.upper())
        await api.post(author, f"#{tag} but private", visibility="private")
        await api.post(outsider, f"#{tag} from elsewhere")
        shown = await api.post(author, f"all about #{tag}")
        event = await next_event(ws)
        assert event["stream"] == ["hashtag", tag]
        assert json.loads(event["payload"])["id"] == shown["id"]
        assert await nothing(ws)


async def test_list_stream_is_the_owners_only(api: Api) -> None:
    owner, friend, stranger = await api.user(), await api.user(), await api.user()
    await api.follow(owner, friend)
    team = (await api.client.post("/api/v1/lists", headers=owner.headers,
                                  json={"title": "t"})).json()
    await api.client.post(f"/api/v1/lists/{team['id']}/accounts", headers=owner.headers,
                          json={"account_ids": [friend.id]})
    await api.idle()
    async with connect(ws_url(api.stack.base_url), additional_headers=stranger.headers,
                       proxy=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "stream": "list", "list": team["id"]}))
        assert "No such list" in (await next_event(ws))["error"]
    async with connect(ws_url(api.stack.base_url), additional_headers=owner.headers,
                       proxy=None) as ws:
        await subscribe(ws, stream="list", list=team["id"])
        post = await api.post(friend, "to my listeners")
        event = await next_event(ws)
        assert event["stream"] == ["list", team["id"]]
        assert json.loads(event["payload"])["id"] == post["id"]


async def test_direct_stream_gets_conversations(api: Api) -> None:
    me, friend = await api.user(), await api.user()
    await api.follow(me, friend)
    async with connect(ws_url(api.stack.base_url), additional_headers=me.headers,
                       proxy=None) as ws:
        await subscribe(ws, stream="direct")
        await api.post(friend, "not direct")
        dm = await api.post(friend, f"@{me.username} just us", visibility="direct")
        event = await next_event(ws)
        assert event["event"] == "conversation" and event["stream"] == ["direct"]
        payload = json.loads(event["payload"])
        assert payload["last_status"]["id"] == dm["id"]
        assert [a["id"] for a in payload["accounts"]] == [friend.id]


async def test_muted_author_is_not_delivered(api: Api) -> None:
    domain = f"{unique('n')}.test"
    me, noisy, fine = [await api.user(domain=domain) for _ in range(3)]
    await api.client.post(f"/api/v1/accounts/{noisy.id}/mute", headers=me.headers)
    async with connect(ws_url(api.stack.base_url), additional_headers=me.headers,
                       proxy=None) as ws:
        await subscribe(ws, stream="public")
        await api.post(noisy, "you muted me")
        shown = await api.post(fine, "still here")
        event = await next_event(ws)
        assert json.loads(event["payload"])["id"] == shown["id"]


async def test_server_sent_events_refusals(api: Api) -> None:
    user = await api.user()
    r = await api.client.get("/api/v1/streaming/user", params={"access_token": "nope"})
    assert r.status_code == 401
    r = await api.client.get("/api/v1/streaming/nonsense", headers=user.headers)
    assert r.status_code == 404
    r = await api.client.get("/api/v1/streaming/hashtag", headers=user.headers)
    assert r.status_code == 400 and "Missing tag" in r.json()["error"]
    r = await api.client.get("/api/v1/streaming/list", headers=user.headers,
                             params={"list": "12345"})
    assert r.status_code == 404


async def test_two_gateways_deliver_to_their_own_clients(api: Api) -> None:
    """A client on a second gateway process gets events posted through the first."""
    async with second_gateway(api.stack) as (other_url, _):
        author, reader = await api.user(), await api.user()
        await api.follow(reader, author)
        await api.idle()
        async with connect(ws_url(other_url), additional_headers=reader.headers,
                           proxy=None) as ws:
            await subscribe(ws, stream="user")
            post = await api.post(author, "through the first gateway")
            event = await next_event(ws)
            assert json.loads(event["payload"])["id"] == post["id"]


async def sse_events(api: Api, user, path: str, action, *, count: int = 1, **params) -> list:
    """Open an SSE stream, run ``action`` once it is open, return the next ``count`` events
    as (event, data) pairs (comments and heartbeats skipped)."""
    got: list[tuple[str, str]] = []
    async with api.client.stream("GET", path, headers=user.headers, params=params) as response:
        assert response.status_code == 200, await response.aread()
        sse = SSEReader(response)
        assert await sse.next(1) == [":)"]
        await asyncio.sleep(0.2)
        await action()
        while len(got) < count:
            [block] = await sse.next(1)
            if block.startswith("event:"):
                kind, data = block.split("\n", 1)
                got.append((kind.removeprefix("event: "), data.removeprefix("data: ")))
    return got


async def test_every_sse_stream_and_event(api: Api) -> None:
    domain = f"{unique('n')}.test"
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    await api.follow(reader, author)
    tag = unique("t")
    team = (await api.client.post("/api/v1/lists", headers=reader.headers,
                                  json={"title": "t"})).json()
    await api.client.post(f"/api/v1/lists/{team['id']}/accounts", headers=reader.headers,
                          json={"account_ids": [author.id]})
    await api.idle()
    posted: dict[str, dict] = {}

    async def post_public() -> None:
        posted["public"] = await api.post(author, f"#{tag} for everyone")

    for path, params in (("/api/v1/streaming/public", {}),
                         ("/api/v1/streaming/public/local", {}),
                         ("/api/v1/streaming/hashtag", {"tag": tag}),
                         ("/api/v1/streaming/hashtag/local", {"tag": tag}),
                         ("/api/v1/streaming/list", {"list": team["id"]})):
        [(event, data)] = await sse_events(api, reader, path, post_public, **params)
        assert event == "update" and json.loads(data)["id"] == posted["public"]["id"], path

    async def direct_message() -> None:
        posted["dm"] = await api.post(author, f"@{reader.username} psst", visibility="direct")

    [(event, data)] = await sse_events(api, reader, "/api/v1/streaming/direct", direct_message)
    assert event == "conversation"
    assert json.loads(data)["last_status"]["id"] == posted["dm"]["id"]

    async def mention() -> None:
        posted["mention"] = await api.post(author, f"@{reader.username} hi")

    got = await sse_events(api, reader, "/api/v1/streaming/user/notification", mention)
    assert got[0][0] == "notification" and json.loads(got[0][1])["type"] == "mention"

    async def edit_and_delete() -> None:
        status = posted["public"]
        await api.client.put(f"/api/v1/statuses/{status['id']}", headers=author.headers,
                             json={"status": "edited"})
        await api.client.delete(f"/api/v1/statuses/{status['id']}", headers=author.headers)

    got = await sse_events(api, reader, "/api/v1/streaming/user", edit_and_delete, count=2)
    assert [e for e, _ in got] == ["status.update", "delete"]
    assert json.loads(got[0][1])["content"] == "<p>edited</p>"
    assert got[1][1] == posted["public"]["id"]




async def test_edits_and_deletes_reach_every_stream_that_showed_the_status(api: Api) -> None:
    """``status.update`` and ``delete`` on the user, public, local, hashtag, list and community
    streams alike, as Mastodon sends them wherever the status was delivered."""
    domain = f"{unique('n')}.test"
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    await api.follow(reader, author)
    tag = unique("t")
    team = (await api.client.post("/api/v1/lists", headers=reader.headers,
                                  json={"title": "t"})).json()
    await api.client.post(f"/api/v1/lists/{team['id']}/accounts", headers=reader.headers,
                          json={"account_ids": [author.id]})
    community = await communities.create(api, author)
    await communities.join(api, reader, community)
    await api.idle()

    streams = [("/api/v1/streaming/user", {}), ("/api/v1/streaming/public", {}),
               ("/api/v1/streaming/public/local", {}),
               ("/api/v1/streaming/hashtag", {"tag": tag}),
               ("/api/v1/streaming/hashtag/local", {"tag": tag}),
               ("/api/v1/streaming/list", {"list": team["id"]}),
               ("/api/v1/streaming/community", {"community": community["id"]})]
    for path, params in streams:
        in_community = path.endswith("community")
        status = await api.post(author, f"#{tag} first draft", **(
            {"community_id": community["id"]} if in_community else {}))
        await api.idle()

        async def edit_then_delete(status: dict = status) -> None:
            r = await api.client.put(f"/api/v1/statuses/{status['id']}",
                                     headers=author.headers, json={"status": f"#{tag} final"})
            assert r.status_code == 200, r.text
            await api.idle()  # (the edit's stream message before the delete's)
            r = await api.client.delete(f"/api/v1/statuses/{status['id']}",
                                        headers=author.headers)
            assert r.status_code == 200, r.text

        got = await sse_events(api, reader, path, edit_then_delete, count=2, **params)
        assert [e for e, _ in got] == ["status.update", "delete"], (path, got)
        assert json.loads(got[0][1])["content"].endswith("final</p>"), path
        assert got[1][1] == status["id"], path
