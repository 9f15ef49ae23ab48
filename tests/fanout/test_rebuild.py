"""Redis lost, nothing else lost: `hubbub rebuild timelines` (the same code, called here) brings
every home timeline back from Postgres through the services, as the readers saw them."""

from __future__ import annotations

import pytest

from services.cli import build_parser
from services.fanout.rebuild import rebuild_timelines
from shared.ids import member
from shared.records import LAST_READ_KEY, TIMELINES, home_key, public_key
from shared.timelines.upgrade import convert_old_timelines
from tests.helpers import Api
from tests.helpers.timelines import home_ids, home_zset, lower_threshold


async def test_rebuild_after_flushall_restores_what_readers_saw(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    lower_threshold(api, monkeypatch, value=2)
    big, author, booster, reader, picky, friend = [await api.user() for _ in range(6)]
    for follower, followee in ((reader, big), (reader, author), (reader, booster),
                               (picky, big), (booster, big)):
        await api.follow(follower, followee)
    r = await api.client.post(f"/api/v1/accounts/{booster.id}/follow", headers=picky.headers,
                              json={"reblogs": False})
    assert r.status_code == 200
    everyone = (big, author, booster, reader, picky, friend)
    await api.idle()
    for user in everyone:
        await api.home(user)

    a1 = await api.post(author, "a1")
    b1 = await api.post(big, "b1 (three followers: above the threshold of two)")
    await api.client.post(f"/api/v1/statuses/{a1['id']}/reblog", headers=booster.headers)
    c1 = await api.post(booster, "c1")
    dm = await api.post(author, f"@{friend.username} between us", visibility="direct")
    await api.client.post(f"/api/v1/statuses/{b1['id']}/reblog", headers=booster.headers)
    await api.idle()
    before = {user.id: await home_ids(api, user) for user in everyone}
    # What fanout made of it: deduplicated reblogs, hybrid merge, reblogs off, direct.
    assert before[reader.id] == [c1["id"], b1["id"], a1["id"]]
    assert before[picky.id] == [c1["id"], b1["id"]]
    assert before[friend.id] == [dm["id"]]
    # A reblog of a status on the same page is left out (b1 is merged in at read time).
    assert before[booster.id][0] == c1["id"] and before[booster.id][2] == b1["id"]

    r = api.stack.admin_redis
    await r.flushall()
    assert await home_zset(api, reader) == []
    rebuilt = await rebuild_timelines(api.stack.fanout.nc, r, api.stack.fanout.rebuilder.settings)
    assert rebuilt >= len(everyone)
    for user in everyone:
        assert await r.zscore(LAST_READ_KEY, user.id)  # current: fanout writes to them
    for user in everyone:
        page = await api.home(user)
        assert page.status_code == 200  # no rebuild on read was needed
        assert [s["id"] for s in page.json()] == before[user.id], user.username

    # One reader alone (`--user`), and fanout carries on afterwards.
    await r.delete(*[k async for k in r.scan_iter(match=f"{TIMELINES}{{u{reader.id}}}:*")])
    assert await rebuild_timelines(api.stack.fanout.nc, r, api.stack.fanout.rebuilder.settings,
                                   user=int(reader.id)) == 1
    a2 = await api.post(author, "a2")
    await api.idle()
    assert await home_ids(api, reader) == [a2["id"], *before[reader.id]]


async def test_rebuild_on_read_restores_an_own_timeline_remade_since_the_loss(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a loss of Redis, the big author's next status makes its own timeline again with
    that one entry: a reader's rebuild must still bring back the author's earlier ones."""
    lower_threshold(api, monkeypatch, value=1)
    big, reader, other = [await api.user() for _ in range(3)]
    await api.follow(reader, big)
    await api.follow(other, big)  # two followers: above the threshold of one
    await api.idle()
    await api.home(reader)
    earlier = [(await api.post(big, f"b{i}"))["id"] for i in range(2)]
    await api.idle()
    assert await home_ids(api, reader) == earlier[::-1]

    r = api.stack.admin_redis
    # Their share of a flush (other tests' keys stay).
    for user in (big, reader):
        await r.delete(*[k async for k in r.scan_iter(match=f"{TIMELINES}{{u{user.id}}}:*")])
        await r.zrem(LAST_READ_KEY, user.id)
    after = await api.post(big, "b2, after the loss")
    await api.idle()
    page = await api.home(reader)  # rebuilt on read
    assert page.status_code == 200
    assert [s["id"] for s in page.json()] == [after["id"], *earlier[::-1]]


def test_rebuild_command_line() -> None:
    args = build_parser().parse_args(["rebuild", "timelines", "--user", "42"])
    assert (args.what, args.user) == ("timelines", 42)
    assert build_parser().parse_args(["rebuild", "timelines"]).user is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["rebuild", "timelines", "--user", "x"])


async def test_old_timelines_are_carried_over_or_dropped(api: Api) -> None:
    """An upgrade from the zero-padded members: the timelines nothing rebuilds are carried over
    (merged with what fanout wrote to the new keys meanwhile), every old key is dropped."""
    r = api.stack.admin_redis
    network = 10**17 + 4242
    old_public = f"tl:{{n{network}}}:public"
    old_home = "tl:{u4242}:home"
    ids = [10**17 + n for n in range(1, 6)]
    await r.zadd(old_public, {str(i).zfill(20): 0 for i in ids[:4]})
    await r.zadd(old_home, {str(i).zfill(20): 0 for i in ids})
    await r.zadd(public_key(network), {member(ids[4]): 0})  # fanout, after the upgrade
    carried, dropped = await convert_old_timelines(r, cap=3)
    assert carried >= 1 and dropped >= 2
    assert not await r.exists(old_public, old_home)
    # The newest three (the cap), newest first, the new entry among them.
    assert await r.zrange(public_key(network), 0, -1) == [member(i).encode()
                                                          for i in ids[:1:-1]]
    assert not await r.exists(home_key(4242))  # homes rebuild on their next read instead
    await r.delete(public_key(network))
