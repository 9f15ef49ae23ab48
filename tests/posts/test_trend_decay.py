"""Trending statuses weigh recent favourites more (halved a day later) and leave out those
older than the window (services/posts/store/trends.py), with favourites moved back in time in
the store."""

from __future__ import annotations

import time

from shared.ids import id_at
from tests.helpers import Api, User, other_domain
from tests.helpers.statuses import act


async def trending(api: Api, user: User) -> list[str]:
    r = await api.client.get("/api/v1/trends/statuses", headers=user.headers)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]


async def favourite(api: Api, status: dict, *users: User) -> None:
    for user in users:
        r = await act(api, user, status["id"], "favourite")
        assert r.status_code == 200, r.text


async def test_recent_activity_weighs_more_and_old_activity_not_at_all(api: Api) -> None:
    domain = other_domain()
    ann, bob, cy, dee = [await api.user(domain=domain) for _ in range(4)]
    old, fresh, stale = [await api.post(ann, text) for text in ("old", "fresh", "stale")]
    await favourite(api, old, bob, cy, dee)
    await favourite(api, fresh, bob)
    await favourite(api, stale, bob, cy, dee)
    await api.idle()
    pool = api.stack.posts.pool
    now = time.time()
    # old: three favourites of 40 hours ago (each worth 0.5^(40/24) = 0.31 now: 0.94 in all),
    # below fresh's one favourite of now; stale: three of 50 hours ago, past the window.
    for status, hours in ((old, 40), (stale, 50)):
        at = now - hours * 3600
        await pool.execute(
            "UPDATE favourites SET id = $2 + (id % 1000000), created_at = to_timestamp($3) "
            "WHERE status_id = $1", int(status["id"]), id_at(int(at * 1000)), at)
    assert await trending(api, bob) == [fresh["id"], old["id"]]
