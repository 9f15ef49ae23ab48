"""SQL for what flows into a community from outside: inbound feeds, the entries they showed, and
incoming webhooks (migrations/0009_community_feeds.sql)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.contracts.integrations import FeedRecord, HookRecord


def _ms(column: str) -> str:
    return f"(extract(epoch FROM {column}) * 1000)::bigint AS {column}"


FEED_COLUMNS = ", ".join([
    "id", "community_id", "url", "title", _ms("created_at"), "interval_s",
    _ms("last_polled_at"), _ms("last_success_at"), _ms("next_poll_at"), "last_error",
    "failures", "items_posted"])
HOOK_COLUMNS = ", ".join(["id", "community_id", "name", "token_prefix", _ms("created_at"),
                          _ms("last_used_at")])


@dataclass(frozen=True)
class ClaimedFeed:
    """A feed leased for one poll, with what the poll needs."""

    id: int
    community_id: int
    network_id: int
    bot_account_id: int
    url: str
    interval_s: int
    failures: int
    etag: str | None
    last_modified: str | None
    seeded: bool


@dataclass(frozen=True)
class Hook:
    id: int
    community_id: int
    network_id: int
    bot_account_id: int


async def insert_feed(conn: asyncpg.Connection, *, feed_id: int, community_id: int,
                      network_id: int, bot_account_id: int, url: str, added_by: int,
                      interval_s: int) -> FeedRecord | None:
    """The new feed, due at once; None when the community has that URL already."""
    row = await conn.fetchrow(
        "INSERT INTO community_feeds (id, community_id, network_id, bot_account_id, url, "
        "added_by, interval_s) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        f"ON CONFLICT DO NOTHING RETURNING {FEED_COLUMNS}",
        feed_id, community_id, network_id, bot_account_id, url, added_by, interval_s)
    return FeedRecord(**dict(row)) if row else None


async def feeds_of(conn: asyncpg.Connection, community_id: int) -> list[FeedRecord]:
    rows = await conn.fetch(
        f"SELECT {FEED_COLUMNS} FROM community_feeds WHERE community_id = $1 ORDER BY id",
        community_id)
    return [FeedRecord(**dict(row)) for row in rows]


async def delete_feed(conn: asyncpg.Connection, community_id: int, feed_id: int) -> bool:
    return bool(await conn.fetchval(
        "DELETE FROM community_feeds WHERE id = $1 AND community_id = $2 RETURNING true",
        feed_id, community_id))


async def count_feeds(conn: asyncpg.Connection, community_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM community_feeds WHERE community_id = $1", community_id)
    return count


async def claim_due_feed(conn: asyncpg.Connection, lease_s: float) -> ClaimedFeed | None:
    """Lease the feed due longest that no other poller holds (its row skipped while another
    replica claims it, its lease respected while another polls it): one poll at a time."""
    row = await conn.fetchrow(
        "UPDATE community_feeds SET lease_until = now() + make_interval(secs => $1) "
        "WHERE id = (SELECT id FROM community_feeds WHERE next_poll_at <= now() "
        "AND (lease_until IS NULL OR lease_until <= now()) "
        "ORDER BY next_poll_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, community_id, network_id, bot_account_id, url, interval_s, failures, "
        "etag, last_modified, seeded",
        lease_s)
    return ClaimedFeed(**dict(row)) if row else None


async def known_keys(conn: asyncpg.Connection, feed_id: int, keys: list[str]) -> set[str]:
    rows = await conn.fetch(
        "SELECT entry_key FROM community_feed_items WHERE feed_id = $1 "
        "AND entry_key = ANY($2::text[])", feed_id, keys)
    return {row["entry_key"] for row in rows}


async def take_entry(conn: asyncpg.Connection, feed_id: int, key: str) -> bool:
    """Record the entry as seen; False when it was (by another replica, or before a restart).
    In the transaction that posts its status: the two commit together or not at all."""
    return bool(await conn.fetchval(
        "INSERT INTO community_feed_items (feed_id, entry_key) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING RETURNING true", feed_id, key))


async def entry_posted(conn: asyncpg.Connection, feed_id: int, key: str, status_id: int
                       ) -> None:
    await conn.execute(
        "UPDATE community_feed_items SET status_id = $3 WHERE feed_id = $1 AND entry_key = $2",
        feed_id, key, status_id)
    await conn.execute(
        "UPDATE community_feeds SET items_posted = items_posted + 1 WHERE id = $1", feed_id)


async def skip_entries(conn: asyncpg.Connection, feed_id: int, keys: list[str]) -> None:
    """The first poll's backlog: seen, never posted."""
    await conn.executemany(
        "INSERT INTO community_feed_items (feed_id, entry_key) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING", [(feed_id, key) for key in keys])


async def polled(conn: asyncpg.Connection, feed_id: int, *, error: str | None,
                 next_in_s: float, failures: int, etag: str | None = None,
                 last_modified: str | None = None, title: str | None = None,
                 seeded: bool = False) -> None:
    """The poll's outcome, and the lease given back. A success keeps the answer's validators
    (a 304 keeps the old ones: ``etag``/``last_modified`` None leave them)."""
    await conn.execute(
        "UPDATE community_feeds SET lease_until = NULL, last_polled_at = now(), "
        "next_poll_at = now() + make_interval(secs => $2), last_error = $3, failures = $4, "
        "last_success_at = CASE WHEN $3::text IS NULL THEN now() ELSE last_success_at END, "
        "etag = COALESCE($5, etag), last_modified = COALESCE($6, last_modified), "
        "title = COALESCE($7, title), seeded = seeded OR $8 WHERE id = $1",
        feed_id, next_in_s, error, failures, etag, last_modified, title, seeded)


async def insert_hook(conn: asyncpg.Connection, *, hook_id: int, community_id: int,
                      network_id: int, bot_account_id: int, name: str, token_hash: str,
                      token_prefix: str, created_by: int) -> HookRecord:
    row = await conn.fetchrow(
        "INSERT INTO incoming_webhooks (id, community_id, network_id, bot_account_id, name, "
        "token_hash, token_prefix, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        f"RETURNING {HOOK_COLUMNS}",
        hook_id, community_id, network_id, bot_account_id, name, token_hash, token_prefix,
        created_by)
    return HookRecord(**dict(row))


async def hooks_of(conn: asyncpg.Connection, community_id: int) -> list[HookRecord]:
    rows = await conn.fetch(
        f"SELECT {HOOK_COLUMNS} FROM incoming_webhooks WHERE community_id = $1 ORDER BY id",
        community_id)
    return [HookRecord(**dict(row)) for row in rows]


async def count_hooks(conn: asyncpg.Connection, community_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM incoming_webhooks WHERE community_id = $1", community_id)
    return count


async def delete_hook(conn: asyncpg.Connection, community_id: int, hook_id: int) -> bool:
    return bool(await conn.fetchval(
        "DELETE FROM incoming_webhooks WHERE id = $1 AND community_id = $2 RETURNING true",
        hook_id, community_id))


async def hook_by_token_hash(conn: asyncpg.Connection, token_hash: str) -> Hook | None:
    """The hook whose token hashes to ``token_hash``, its use recorded. The lookup is by the
    hash (an index probe on a value an attacker cannot aim), so no comparison of the secret
    itself can leak its characters through timing."""
    row = await conn.fetchrow(
        "UPDATE incoming_webhooks SET last_used_at = now() WHERE token_hash = $1 "
        "RETURNING id, community_id, network_id, bot_account_id", token_hash)
    return Hook(**dict(row)) if row else None
