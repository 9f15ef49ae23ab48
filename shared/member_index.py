"""Who has a rare relation at all, kept in Valkey by its owner so that a service asking on
every post can skip the ask when the answer is "none".

``LISTED``: the accounts in at least one list. Fanout needs, for every status and reblog, the
lists that hold its author (graph's ``lists.containing``): almost always none, and one service
request a post to learn it. With the index, fanout asks graph only for listed authors.

``BELLED``: the accounts followed by at least one follower who rang the bell (a follow with
``notify``). Notify asks graph for those followers on every status (graph's ``followers.ids``
with ``notify_only``): almost always none. With the index, notify asks only for belled authors.

An index is a Valkey set of account ids plus a sentinel member, ``READY``, that the owner adds
once the set holds every account PostgreSQL has (``fill``). A set without the sentinel (Valkey
restarted empty, flushed, a failover that lost it) answers "maybe" for everyone, so a reader
asks the owner as before: the index can make a reader skip an ask only when it is complete.

It is a superset, never a subset: the owner adds an account before the change that puts it in
the relation commits, and again after (``note``; the second covers a fill that read PostgreSQL
before the commit while Valkey lost the first), and never removes one: an account that leaves
every list costs its posts an ask each until a refill. A change that fails after ``note`` only
leaves such an extra member.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

LISTED = "acct:index:listed"
BELLED = "acct:index:belled"
READY = b"ready"
FILL_BATCH = 5_000
# How often an owner checks that its index is complete (refilled when Valkey lost it); until
# then its readers ask for every account.
CHECK_S = 30.0


class Commands(Protocol):
    """Either Valkey client: redis-py's or the lean one (shared/fastredis.py)."""

    async def execute_command(self, *args: Any) -> Any: ...


async def note(client: Commands, key: str, account_ids: Iterable[int]) -> None:
    ids = [str(i) for i in account_ids]
    if ids:
        await client.execute_command("SADD", key, *ids)


async def may_hold(client: Commands, key: str, account_id: int) -> bool:
    """False only when the index is complete and does not hold the account."""
    member, ready = await client.execute_command("SMISMEMBER", key, str(account_id), READY)
    return bool(member) or not ready


async def is_ready(client: Commands, key: str) -> bool:
    return bool(await client.execute_command("SISMEMBER", key, READY))


async def fill(client: Commands, key: str, account_ids: Iterable[int]) -> int:
    """Add every account the owner's PostgreSQL holds, then the sentinel; returns how many.
    Into the live set, never swapped in: a ``note`` during the fill stays."""
    count, batch = 0, []
    for account_id in account_ids:
        batch.append(str(account_id))
        if len(batch) == FILL_BATCH:
            await client.execute_command("SADD", key, *batch)
            count, batch = count + len(batch), []
    if batch:
        await client.execute_command("SADD", key, *batch)
        count += len(batch)
    await client.execute_command("SADD", key, READY)
    return count


async def keep(client: Commands, key: str, load: Callable[[], Awaitable[Iterable[int]]]
               ) -> int | None:
    """The owner's chore: fill the index from ``load`` (every account PostgreSQL has in the
    relation) when it is not complete; how many it added (None: it was complete)."""
    if await is_ready(client, key):
        return None
    return await fill(client, key, await load())
