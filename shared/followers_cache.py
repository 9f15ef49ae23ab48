"""An account's followers as fanout asks for them on every post (``followers.page``'s first
page), cached in Valkey by graph and read there by fanout directly.

Fanout's first question about a status is "who follows the author?": a graph request (four
messages through NATS) and a PostgreSQL query on every post, for a list that changes only when
someone follows or unfollows. Graph fills this cache as it answers that question and drops it
with the author's account record whenever a follow of the author changes
(services/graph/account_cache.py ``invalidate``, under the same generation counter, so a fill
that read before a change cannot store after it). Fanout reads the cache first and asks graph
only on a miss.

The entry holds the follower count and, up to ``MOST`` followers, their ids; above that (or
above the asker's hybrid-fanout threshold) only the count, which is enough to skip the author.
"""

from __future__ import annotations

import logging

import msgspec
import redis.exceptions

from shared.member_index import Commands
from shared.records import account_key

log = logging.getLogger(__name__)

TTL_S = 3600  # the authors who post again within the hour
MOST = 2_000  # followers cached as a list (16 KB); more: the count only


class Followers(msgspec.Struct, array_like=True, frozen=True):
    count: int
    packed: bytes | None  # the ids as FollowersPageReply.packed holds them; None: not cached


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Followers)


def key(account_id: int, *, reblogs_only: bool = False) -> str:
    """Beside the account's record (its hash tag: one slot with its generation key)."""
    return account_key(account_id) + (":followers:reblogs" if reblogs_only else ":followers")


def keys(account_id: int) -> tuple[str, str]:
    """Both variants: what a change of the account's follows drops."""
    return key(account_id), key(account_id, reblogs_only=True)


def encode(count: int, packed: bytes | None) -> bytes:
    return _encoder.encode(Followers(count, packed if count <= MOST else None))


async def read(client: Commands, account_id: int, *, reblogs_only: bool = False
               ) -> Followers | None:
    """The cached entry, or None (a miss, or Valkey away: the caller asks graph)."""
    try:
        raw = await client.execute_command("GET", key(account_id, reblogs_only=reblogs_only))
    except (OSError, redis.exceptions.RedisError) as exc:
        log.warning("followers cache unavailable (%s): asking graph", exc)
        return None
    if raw is None:
        return None
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError:
        return None
