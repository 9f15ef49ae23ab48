"""Who has a rare relation at all, kept in Valkey by its owner so that a service asking on
every post can skip the ask when the answer is "none".

``LISTED``: the accounts in at least one list. Fanout needs, for every status and reblog, the
lists that hold its author (graph's ``lists.containing``): almost always none, and one service
request a post to learn it. With the index, fanout asks graph only for listed authors.

``BELLED``: the accounts followed by at least one follower who rang the bell (a follow with
``notify``). Notify asks graph for those followers on every status (graph's ``followers.ids``
with ``notify_only``): almost always none. With the index, notify asks only for belled authors.

``FOLLOWED_TAGS``: the hashtags someone follows (as graph stores them: lower case). Fanout
asks graph for the followers of a public status's hashtags (``tag.follower_ids``): almost
always none. With the index, fanout asks only when one of the status's tags may be followed.

``HOOKED``: where outgoing webhooks listen (notify's, services/notify/webhooks): ``n<id>`` for
a network with a network-wide webhook, ``c<id>`` for a community with one of its own (its
members ``hook_scopes``). Posts looks when it writes a status and says in its event whether any
may listen (``StatusCreated.hooked``, one of its subject's facets), so that notify's webhook
consumer is not even handed the statuses of places no webhook hears.

Graph owns ``LISTED``, ``BELLED`` and ``FOLLOWED_TAGS``, notify ``HOOKED``: each is written
by its owner alone.

An index is a Valkey set of members (account ids, or scopes) plus a sentinel member,
``READY``, that the owner adds once the set holds every member PostgreSQL has (``fill``). A set
without the sentinel (Valkey restarted empty, flushed, a failover that lost it) answers "maybe"
for everyone, so a reader asks the owner as before: the index can make a reader skip an ask
only when it is complete.

It is a superset, never a subset: the owner adds an account before the change that puts it in
the relation commits, and again after (``note``; the second covers a fill that read PostgreSQL
before the commit while Valkey lost the first), and never removes one: an account that leaves
every list costs its posts an ask each until a refill. A change that fails after ``note`` only
leaves such an extra member.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol

import asyncpg
import redis.exceptions

log = logging.getLogger(__name__)

LISTED = "acct:index:listed"
BELLED = "acct:index:belled"
FOLLOWED_TAGS = "acct:index:tags"
HOOKED = "hooks:index:scopes"
READY = b"ready"
FILL_BATCH = 5_000
# How often an owner checks that its index is complete (refilled when Valkey lost it); until
# then its readers ask for every account.
CHECK_S = 30.0


class Commands(Protocol):
    """Either Valkey client: redis-py's or the lean one (shared/fastredis.py)."""

    async def execute_command(self, *args: Any) -> Any: ...


Member = int | str  # an account id, or another index's member (``hook_scopes``)


def hook_scope(network_id: int, community_id: int | None) -> str:
    """``HOOKED``'s member for a webhook: its community's, or its network's when network-wide."""
    return f"c{community_id}" if community_id else f"n{network_id}"


def hook_scopes(network_id: int | None, community_id: int | None) -> list[str]:
    """``HOOKED``'s members a status's webhooks may be under: its network's and its
    community's (a superset: services/notify/webhooks/matcher.py ``status_scope`` decides)."""
    return ([f"n{network_id}"] if network_id else []) + (
        [f"c{community_id}"] if community_id else [])


async def note(client: Commands, key: str, members: Iterable[Member]) -> None:
    found = [str(m) for m in members]
    if found:
        await client.execute_command("SADD", key, *found)


async def may_hold(client: Commands, key: str, member: Member) -> bool:
    """False only when the index is complete and does not hold the member."""
    return await may_hold_any(client, key, [member])


async def may_hold_any(client: Commands, key: str, members: Sequence[Member]) -> bool:
    """False only when the index is complete and holds none of the members. Valkey away
    answers "maybe", as an incomplete index does: the reader asks the owner."""
    try:
        *found, ready = await client.execute_command(
            "SMISMEMBER", key, *(str(m) for m in members), READY)
    except (OSError, redis.exceptions.RedisError) as exc:
        log.warning("index %s unavailable (%s): asking its owner", key, exc)
        return True
    return any(found) or not ready


@contextlib.asynccontextmanager
async def noting(client: Commands, key: str, members: Iterable[Member]
                 ) -> AsyncIterator[None]:
    """Around the owner's change that puts ``members`` in the relation: noted before it
    commits and again after it did (the module's docstring says why)."""
    found = list(members)
    await note(client, key, found)
    yield
    await note(client, key, found)


async def is_ready(client: Commands, key: str) -> bool:
    return bool(await client.execute_command("SISMEMBER", key, READY))


async def fill(client: Commands, key: str, members: Iterable[Member]) -> int:
    """Add every member the owner's PostgreSQL holds, then the sentinel; returns how many.
    Into the live set, never swapped in: a ``note`` during the fill stays."""
    count, batch = 0, []
    for member in members:
        batch.append(str(member))
        if len(batch) == FILL_BATCH:
            await client.execute_command("SADD", key, *batch)
            count, batch = count + len(batch), []
    if batch:
        await client.execute_command("SADD", key, *batch)
        count += len(batch)
    await client.execute_command("SADD", key, READY)
    return count


async def keep(client: Commands, key: str, pool: asyncpg.Pool,
               read: Callable[[asyncpg.Connection], Awaitable[Iterable[Member]]]) -> int | None:
    """The owner's chore: fill the index from ``read`` (every member its PostgreSQL has)
    when it is not complete; how many it added (None: it was complete)."""
    if await is_ready(client, key):
        return None
    async with pool.acquire() as conn:
        members = await read(conn)
    return await fill(client, key, members)
