"""Per-reader facts the gateway needs on every timeline page, cached in Redis by their owners:

- hidden accounts (graph owns them): whom the reader muted or blocked, and who blocks the reader;
- viewer flags (posts owns them): per status, whether the reader favourited, reblogged,
  bookmarked or pinned it, and the reader's votes in its poll;
- content filters (graph owns them): the reader's filter set, named by a stamp (below).

The gateway reads both in the same round trip as the timeline page; a miss asks the owner over
NATS, which answers from Postgres and fills the cache.

A fill reads Postgres and then stores; a change commits and then invalidates. A slow fill could
store what it read before a change, after that change's invalidation, and leave the cache stale.
So each reader's cache has a generation counter: a change bumps it before deleting, and a fill
notes the generation before its query and stores only if it is unchanged (checked and stored in
one script, so nothing can slip between).
"""

from __future__ import annotations

import hashlib
import logging

import msgspec
import redis.exceptions

from shared import cache
from shared.contracts.filters import FilterRecord
from shared.member_index import Commands

log = logging.getLogger(__name__)

HIDDEN_TTL_S = 3600
FLAGS_TTL_S = 24 * 3600


def hidden_key(account_id: int) -> str:
    return f"viewer:{{u{account_id}}}:hidden"


def flags_key(account_id: int) -> str:
    return f"viewer:{{u{account_id}}}:flags"


def _generation_key(key: str) -> str:
    return key + ":gen"


# KEYS: value key, generation key. ARGV: generation seen before the query ('' for none), TTL,
# then the value: one blob (SET) or field/value pairs (HSET).
_FILL = """
local gen = redis.call('GET', KEYS[2]) or ''
if gen ~= ARGV[1] then return 0 end
if ARGV[3] == 'set' then
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[2])
else
  redis.call('HSET', KEYS[1], unpack(ARGV, 4))
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
"""

# A reader's cache generation as the client returns it (bytes from the services' clients, str
# from one that decodes): only ever handed back to the fill script, which compares either.
Generation = bytes | str


async def generation(r: cache.CacheClient, key: str) -> Generation:
    """Note this before reading what a fill will store."""
    return await r.get(_generation_key(key)) or b""


async def _invalidate(r: cache.CacheClient, keys: list[str], fields: list[str] | None = None
                      ) -> None:
    pipe = r.pipeline(transaction=False)
    for key in keys:
        pipe.incr(_generation_key(key))
        pipe.expire(_generation_key(key), max(HIDDEN_TTL_S, FLAGS_TTL_S))
        if fields is None:
            pipe.delete(key)
        else:
            pipe.hdel(key, *fields)
    await pipe.execute()


# --- hidden accounts -------------------------------------------------------------------------

class Hidden(msgspec.Struct, array_like=True):
    ids: list[int]
    notification_ids: list[int]  # the subset whose notifications are hidden too
    # The subset blocked either way: whose statuses the reader may not act on (posts' check of
    # a favourite, reblog or reply, services/posts/audience.py). None in an entry stored before
    # it was added: unknown (ask graph).
    blocked: list[int] | None = None


_hidden_encoder = msgspec.msgpack.Encoder()
_hidden_decoder = msgspec.msgpack.Decoder(Hidden)


def decode_hidden(raw: bytes) -> Hidden:
    return _hidden_decoder.decode(raw)


async def cached_hidden(client: Commands, account_id: int) -> Hidden | None:
    """The reader's hidden accounts as graph cached them, for the services that read graph's
    cache (notify's refusals, posts' blocks); None on a miss or with Valkey away (the caller
    asks graph, which fills it)."""
    try:
        raw = await client.execute_command("GET", hidden_key(account_id))
    except (OSError, redis.exceptions.RedisError) as exc:
        log.warning("hidden sets unavailable (%s): asking graph", exc)
        return None
    return None if raw is None else decode_hidden(raw)


async def fill_hidden(r: cache.CacheClient, account_id: int, seen_generation: Generation,
                      hidden: Hidden, ttl_s: int = HIDDEN_TTL_S) -> None:
    """Store the reader's hidden accounts unless they changed since ``seen_generation``
    (``ttl_s``: at most until the first of the reader's timed mutes ends)."""
    key = hidden_key(account_id)
    await cache.script(r, _FILL)(keys=[key, _generation_key(key)],
                          args=[seen_generation, max(1, ttl_s), "set",
                                _hidden_encoder.encode(hidden)])


async def forget_hidden(r: cache.CacheClient, *account_ids: int) -> None:
    """After a block, unblock, mute or unmute committed: these readers' sets are stale."""
    await _invalidate(r, [hidden_key(i) for i in account_ids])


# --- viewer flags ----------------------------------------------------------------------------
# One hash per reader, a field per status id that was looked up; the value is a short string:
# letters for the flags ("f" favourited, "r" reblogged, "b" bookmarked, "p" pinned), then, for a
# status whose poll the reader voted in, ":", the poll's id, "=" and the chosen options
# ("fb:123=0,2"; an edit that replaces the poll makes a new poll id). "" is no flags.

class Flags(msgspec.Struct, frozen=True):
    favourited: bool = False
    reblogged: bool = False
    bookmarked: bool = False
    pinned: bool = False
    poll_id: int | None = None
    votes: tuple[int, ...] = ()


NO_FLAGS = Flags()


def encode_flags(flags: Flags) -> str:
    letters = "".join(letter for letter, on in (("f", flags.favourited), ("r", flags.reblogged),
                                                 ("b", flags.bookmarked), ("p", flags.pinned))
                      if on)
    if flags.poll_id is not None and flags.votes:
        letters += f":{flags.poll_id}=" + ",".join(str(v) for v in flags.votes)
    return letters


def decode_flags(raw: bytes | str) -> Flags:
    text = raw.decode() if isinstance(raw, bytes) else raw
    if not text:
        return NO_FLAGS
    letters, _, poll = text.partition(":")
    poll_id, _, votes = poll.partition("=")
    return Flags(favourited="f" in letters, reblogged="r" in letters, bookmarked="b" in letters,
                 pinned="p" in letters, poll_id=int(poll_id) if poll_id else None,
                 votes=tuple(int(v) for v in votes.split(",")) if votes else ())


async def fill_flags(r: cache.CacheClient, account_id: int, seen_generation: Generation,
                     flags: dict[int, Flags]) -> None:
    if not flags:
        return
    key = flags_key(account_id)
    pairs: list[int | str] = []
    for status_id, status_flags in flags.items():
        pairs.extend((status_id, encode_flags(status_flags)))
    await cache.script(r, _FILL)(keys=[key, _generation_key(key)],
                          args=[seen_generation, FLAGS_TTL_S, "hash", *pairs])


async def forget_flags(r: cache.CacheClient, account_id: int, *status_ids: int) -> None:
    """After the reader favourited, reblogged, bookmarked, pinned or voted (or undid it)."""
    await _invalidate(r, [flags_key(account_id)], [str(i) for i in status_ids])


# A change and the fill of what it read, at once. KEYS: the flags hash, its generation key.
# ARGV: the generation seen before the change's statement, the TTLs of the generation and of
# the hash, then field/value pairs. The generation moves on whatever (readers' fills that read
# before the change are refused); the values are stored only if it had not moved since the
# change read them, else the fields are dropped, as forget_flags does.
_CHANGED_AND_FILLED = """
local gen = redis.call('GET', KEYS[2]) or ''
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
if gen == ARGV[1] then
  redis.call('HSET', KEYS[1], unpack(ARGV, 4))
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 1
end
for i = 4, #ARGV, 2 do
  redis.call('HDEL', KEYS[1], ARGV[i])
end
return 0
"""


async def changed_flags(r: cache.CacheClient, account_id: int, seen_generation: Generation,
                        flags: dict[int, Flags]) -> bool:
    """After the reader's own change committed, with its flags on these statuses as the
    change's statement read them (``seen_generation``: noted before that statement): what
    forget_flags and a fill would do, in one round trip and without reading PostgreSQL again.
    False when another change came between (the fields are dropped: the next read fills)."""
    key = flags_key(account_id)
    pairs: list[int | str] = []
    for status_id, status_flags in flags.items():
        pairs.extend((status_id, encode_flags(status_flags)))
    return bool(await cache.script(r, _CHANGED_AND_FILLED)(
        keys=[key, _generation_key(key)],
        args=[seen_generation, max(HIDDEN_TTL_S, FLAGS_TTL_S), FLAGS_TTL_S, *pairs]))


# --- content filters -------------------------------------------------------------------------
# One hash per reader (graph owns it): ``stamp``, which names the reader's filter set (a digest
# of ``body``, or NO_FILTERS), and ``body``, the set itself (msgpack). A timeline read asks for
# the stamp only, in a round trip it makes anyway: a reader without filters costs nothing more,
# and a reader with filters costs a body read (or a graph request) only when the stamp is one
# this gateway has not compiled yet. Filled and forgotten with the generation counter above.

FILTERS_TTL_S = 24 * 3600
NO_FILTERS = b"-"
STAMP_FIELD = "stamp"
BODY_FIELD = "body"


def filters_key(account_id: int) -> str:
    return f"viewer:{{u{account_id}}}:filters"


_filters_encoder = msgspec.msgpack.Encoder()
_filters_decoder = msgspec.msgpack.Decoder(list[FilterRecord])


def encode_filters(filters: list[FilterRecord]) -> tuple[str, bytes]:
    """(stamp, body) of a reader's filter set: the stamp is a digest of the body, so equal
    stamps are equal sets, whichever process filled them (NO_FILTERS for none)."""
    if not filters:
        return NO_FILTERS.decode(), b""
    body = _filters_encoder.encode(filters)
    return hashlib.blake2b(body, digest_size=12).hexdigest(), body


def decode_filters(stamp: bytes, body: bytes) -> list[FilterRecord] | None:
    """The set cached as ``body``, or None when it is not the one ``stamp`` names (a body
    from another fill than its stamp's: never expected, since both are stored together)."""
    if hashlib.blake2b(body, digest_size=12).hexdigest().encode() != stamp:
        return None
    return _filters_decoder.decode(body)


async def fill_filters(r: cache.CacheClient, account_id: int, seen_generation: Generation,
                       stamp: str, body: bytes, ttl_s: int = FILTERS_TTL_S) -> None:
    """Store the reader's filter set unless it changed since ``seen_generation`` (``ttl_s``:
    at most until its first filter expires, so an expired one does not linger)."""
    key = filters_key(account_id)
    await cache.script(r, _FILL)(keys=[key, _generation_key(key)],
                          args=[seen_generation, max(1, min(ttl_s, FILTERS_TTL_S)), "hash",
                                STAMP_FIELD, stamp, BODY_FIELD, body])


async def forget_filters(r: cache.CacheClient, account_id: int) -> None:
    """After a change to the reader's filters committed: their cached set is stale."""
    await _invalidate(r, [filters_key(account_id)])
