"""Relations arranged directly in the graph's store, for what the API cannot set yet."""

from __future__ import annotations

from tests.helpers import Api, User


async def lock(api: Api, user: User) -> None:
    await api.stack.graph.pool.execute("UPDATE accounts SET locked = true WHERE id = $1",
                                       int(user.id))
    await api.stack.graph.redis.main.delete(f"acct:{user.id}")
