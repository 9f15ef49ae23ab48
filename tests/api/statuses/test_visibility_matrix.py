"""The visibility matrix on every read path: for each visibility and each kind of reader, a
status is readable exactly when the policy says so, and never leaks through a side door.

A new read path is one row in READ_PATHS: a function that answers "could this reader see the
status through this path?".
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from websockets.asyncio.client import connect

from tests.helpers import Api, User

VISIBILITIES = ("public", "unlisted", "private", "direct")
READERS = ("author", "follower", "mentioned", "stranger", "other_network", "anonymous")

# Who may read what (the policy, written out once more by hand as the test's oracle).
MAY_READ = {
    "public": {"author", "follower", "mentioned", "stranger"},
    "unlisted": {"author", "follower", "mentioned", "stranger"},
    "private": {"author", "follower", "mentioned"},
    "direct": {"author", "mentioned"},
}


@dataclass
class World:
    api: Api
    readers: dict[str, User | None]
    statuses: dict[str, dict]  # visibility -> status JSON
    root: dict  # a public root that every status replies to (for the context path)


def headers(reader: User | None) -> dict[str, str]:
    return reader.headers if reader else {}


async def by_id(w: World, reader: User | None, status: dict) -> bool:
    r = await w.api.client.get(f"/api/v1/statuses/{status['id']}", headers=headers(reader))
    assert r.status_code in (200, 404), r.text
    return r.status_code == 200


async def by_ids(w: World, reader: User | None, status: dict) -> bool:
    r = await w.api.client.get("/api/v1/statuses", headers=headers(reader),
                               params={"id[]": [status["id"], w.root["id"]]})
    assert r.status_code == 200, r.text
    return status["id"] in [s["id"] for s in r.json()]


async def in_context(w: World, reader: User | None, status: dict) -> bool:
    r = await w.api.client.get(f"/api/v1/statuses/{w.root['id']}/context",
                               headers=headers(reader))
    if r.status_code == 404:
        return False
    return status["id"] in [s["id"] for s in r.json()["descendants"]]


async def own_context(w: World, reader: User | None, status: dict) -> bool:
    r = await w.api.client.get(f"/api/v1/statuses/{status['id']}/context",
                               headers=headers(reader))
    assert r.status_code in (200, 404)
    return r.status_code == 200


async def favourited_by(w: World, reader: User | None, status: dict) -> bool:
    r = await w.api.client.get(f"/api/v1/statuses/{status['id']}/favourited_by",
                               headers=headers(reader))
    assert r.status_code in (200, 404)
    return r.status_code == 200


async def reblogged_by(w: World, reader: User | None, status: dict) -> bool:
    r = await w.api.client.get(f"/api/v1/statuses/{status['id']}/reblogged_by",
                               headers=headers(reader))
    assert r.status_code in (200, 404)
    return r.status_code == 200


async def history(w: World, reader: User | None, status: dict) -> bool:
    r = await w.api.client.get(f"/api/v1/statuses/{status['id']}/history",
                               headers=headers(reader))
    assert r.status_code in (200, 404)
    return r.status_code == 200


async def poll(w: World, reader: User | None, status: dict) -> bool:
    r = await w.api.client.get(f"/api/v1/polls/{status['poll']['id']}", headers=headers(reader))
    assert r.status_code in (200, 404)
    return r.status_code == 200


async def favourite(w: World, reader: User | None, status: dict) -> bool:
    if reader is None:
        return False
    r = await w.api.client.post(f"/api/v1/statuses/{status['id']}/favourite",
                                headers=reader.headers)
    assert r.status_code in (200, 404), r.text
    return r.status_code == 200


async def reply(w: World, reader: User | None, status: dict) -> bool:
    if reader is None:
        return False
    r = await w.api.client.post("/api/v1/statuses", headers=reader.headers,
                                json={"status": "a reply", "in_reply_to_id": status["id"],
                                      "visibility": "direct"})
    assert r.status_code in (200, 404), r.text
    return r.status_code == 200


READ_PATHS: list[tuple[str, Callable[[World, User | None, dict], Awaitable[bool]]]] = [
    ("GET /statuses/:id", by_id),
    ("GET /statuses?id[]", by_ids),
    ("context of the thread root", in_context),
    ("GET /statuses/:id/context", own_context),
    ("favourited_by", favourited_by),
    ("reblogged_by", reblogged_by),
    ("history", history),
    ("GET /polls/:id", poll),
    ("favourite (a write that needs sight)", favourite),
    ("reply (a write that needs sight)", reply),
]


@pytest.fixture(scope="module")
async def world(stack) -> World:
    import httpx

    client = httpx.AsyncClient(base_url=stack.base_url, timeout=20)
    api = Api(client, stack)
    author, follower, mentioned, stranger = [await api.user() for _ in range(4)]
    other = await api.user(domain="elsewhere.test")
    await api.follow(follower, author)
    root = await api.post(author, "the root of the thread")
    statuses = {}
    for visibility in VISIBILITIES:
        statuses[visibility] = await api.post(
            author, f"{visibility} for @{mentioned.username}", visibility=visibility,
            in_reply_to_id=root["id"], poll={"options": ["yes", "no"], "expires_in": 3600})
    await api.idle()
    readers = {"author": author, "follower": follower, "mentioned": mentioned,
               "stranger": stranger, "other_network": other, "anonymous": None}
    yield World(api=api, readers=readers, statuses=statuses, root=root)
    await client.aclose()


@pytest.mark.parametrize("path_name, path", READ_PATHS, ids=[p[0] for p in READ_PATHS])
@pytest.mark.parametrize("visibility", VISIBILITIES)
async def test_read_path(world: World, path_name: str, path, visibility: str) -> None:
    status = world.statuses[visibility]
    seen = {name: await path(world, reader, status) for name, reader in world.readers.items()}
    expected = {name: name in MAY_READ[visibility] for name in READERS}
    assert seen == expected, f"{path_name} / {visibility}"


@pytest.mark.parametrize("visibility", VISIBILITIES)
async def test_home_timelines_hold_only_what_readers_may_see(world: World, visibility: str
                                                             ) -> None:
    status = world.statuses[visibility]
    for name, reader in world.readers.items():
        if reader is None:
            continue
        home = await world.api.home(reader, limit=40)
        if status["id"] in [s["id"] for s in home.json()]:
            assert name in MAY_READ[visibility], f"{visibility} leaked into {name}'s home"
    follower_home = await world.api.home(world.readers["follower"], limit=40)
    delivered = status["id"] in [s["id"] for s in follower_home.json()]
    assert delivered == (visibility != "direct")


async def test_streams_deliver_only_what_readers_may_see(world: World) -> None:
    api = world.api
    base = api.stack.base_url.replace("http://", "ws://") + "/api/v1/streaming"
    watchers = {}
    for name in ("follower", "mentioned", "stranger", "other_network"):
        ws = await connect(base, additional_headers=world.readers[name].headers, proxy=None)
        for stream in ("user", "public"):
            await ws.send(json.dumps({"type": "subscribe", "stream": stream}))
        watchers[name] = ws
    await asyncio.sleep(0.3)
    author = world.readers["author"]
    mentioned = world.readers["mentioned"]
    posted = {v: await api.post(author, f"live {v} @{mentioned.username}", visibility=v)
              for v in VISIBILITIES}
    await api.idle()
    await asyncio.sleep(0.3)
    by_id = {s["id"]: v for v, s in posted.items()}
    try:
        for name, ws in watchers.items():
            got = set()
            while True:
                try:
                    event = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                except TimeoutError:
                    break
                if event.get("event") == "update":
                    status_id = json.loads(event["payload"])["id"]
                    if status_id in by_id:
                        got.add(by_id[status_id])
            for visibility in got:
                assert name in MAY_READ[visibility], f"{visibility} streamed to {name}"
            if name == "follower":
                assert got == {"public", "unlisted", "private"}
            if name == "other_network":
                assert got == set()
    finally:
        for ws in watchers.values():
            await ws.close()
