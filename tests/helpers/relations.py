"""Relations for tests: read through the API (``rel``, ``note_types``), or arranged directly in
the graph's store for what the API cannot set yet (``lock``)."""

from __future__ import annotations

from shared.records import account_key
from tests.helpers import Api, User


async def lock(api: Api, user: User) -> None:
    await api.stack.graph.pool.execute("UPDATE accounts SET locked = true WHERE id = $1",
                                       int(user.id))
    await api.stack.graph.redis.main.delete(account_key(int(user.id)))


async def rel(api: Api, me: User, other: User) -> dict:
    r = await api.client.get("/api/v1/accounts/relationships", headers=me.headers,
                             params={"id[]": other.id})
    return r.json()[0]


async def note_types(api: Api, user: User) -> list[str]:
    r = await api.client.get("/api/v1/notifications", headers=user.headers)
    return [n["type"] for n in r.json()]
