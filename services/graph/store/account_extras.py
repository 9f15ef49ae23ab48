"""SQL for account extras: private notes, endorsements, featured hashtags, familiar followers,
the profile directory and a network's weekly registrations."""

from __future__ import annotations

import asyncpg

from services.graph.store.accounts import ACCOUNT_COLUMNS, ACCOUNTS_FROM, account_from_row
from shared.contracts.account_extras import FeaturedTagRecord
from shared.contracts.graph import RelationItem, RelationPage
from shared.contracts.posts import WeekCount
from shared.paging import id_window
from shared.records import AccountRecord

# --- private notes ------------------------------------------------------------------------------


async def set_note(conn: asyncpg.Connection, account_id: int, target_id: int,
                   comment: str) -> None:
    """Keep the note, or forget it when empty (Mastodon clears a note with ``comment=""``)."""
    if not comment:
        await conn.execute("DELETE FROM account_notes WHERE account_id = $1 AND target_id = $2",
                           account_id, target_id)
        return
    await conn.execute(
        "INSERT INTO account_notes (account_id, target_id, comment) VALUES ($1, $2, $3) "
        "ON CONFLICT (account_id, target_id) DO UPDATE SET comment = EXCLUDED.comment, "
        "updated_at = now()", account_id, target_id, comment)


# --- endorsements -------------------------------------------------------------------------------


async def follows(conn: asyncpg.Connection, follower_id: int, followee_id: int) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2)",
        follower_id, followee_id))


async def insert_pin(conn: asyncpg.Connection, pin_id: int, account_id: int,
                     target_id: int) -> None:
    await conn.execute(
        "INSERT INTO account_pins (id, account_id, target_id) VALUES ($1, $2, $3) "
        "ON CONFLICT (account_id, target_id) DO NOTHING", pin_id, account_id, target_id)


async def delete_pin(conn: asyncpg.Connection, account_id: int, target_id: int) -> None:
    await conn.execute("DELETE FROM account_pins WHERE account_id = $1 AND target_id = $2",
                       account_id, target_id)


async def pins_page(conn: asyncpg.Connection, req: RelationPage) -> list[RelationItem]:
    """The owner's endorsements, newest first by endorsement, active accounts only."""
    window = id_window("p.id", max_id=req.max_id, since_id=req.since_id, min_id=req.min_id,
                       limit=req.limit, max_limit=80, first_arg=2)
    rows = await conn.fetch(
        "SELECT p.id, p.target_id FROM account_pins p JOIN accounts a ON a.id = p.target_id "
        f"WHERE p.account_id = $1 AND a.active{window.sql}", req.account_id, *window.args)
    return window.newest_first([RelationItem(cursor=r["id"], account_id=r["target_id"])
                                for r in rows])


# --- featured hashtags --------------------------------------------------------------------------

_TAG_COLUMNS = "id, account_id, name, tag"


async def featured_tags(conn: asyncpg.Connection, account_id: int) -> list[FeaturedTagRecord]:
    rows = await conn.fetch(f"SELECT {_TAG_COLUMNS} FROM featured_tags WHERE account_id = $1 "
                            "ORDER BY id", account_id)
    return [FeaturedTagRecord(**dict(r)) for r in rows]


async def lock_featured_tags_of(conn: asyncpg.Connection, account_id: int) -> None:
    """Until the transaction ends: one change per owner at a time (the cap holds)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('featured_tags'), $1::int)",
                       account_id % 2_147_483_647)


async def insert_featured_tag(conn: asyncpg.Connection, tag_id: int, account_id: int,
                              name: str, tag: str) -> FeaturedTagRecord:
    row = await conn.fetchrow(
        f"INSERT INTO featured_tags (id, account_id, name, tag) VALUES ($1, $2, $3, $4) "
        f"RETURNING {_TAG_COLUMNS}", tag_id, account_id, name, tag)
    return FeaturedTagRecord(**dict(row))


async def delete_featured_tag(conn: asyncpg.Connection, account_id: int, tag_id: int | None,
                              tag: str | None) -> FeaturedTagRecord | None:
    row = await conn.fetchrow(
        f"DELETE FROM featured_tags WHERE account_id = $1 AND (id = $2 OR tag = $3) "
        f"RETURNING {_TAG_COLUMNS}", account_id, tag_id, tag)
    return FeaturedTagRecord(**dict(row)) if row else None


# --- familiar followers, the directory ----------------------------------------------------------

FAMILIAR_MAX = 40  # familiar followers named per account (clients show a few avatars)


async def familiar_followers(conn: asyncpg.Connection, reader_id: int, ids: list[int]
                             ) -> dict[int, list[int]]:
    """For each of ``ids``: active accounts the reader follows that follow it, newest follow
    first."""
    rows = await conn.fetch(
        "SELECT target, follower FROM (SELECT f.followee_id AS target, f.follower_id AS follower,"
        " row_number() OVER (PARTITION BY f.followee_id ORDER BY f.created_at DESC) AS n "
        "FROM follows f JOIN follows mine ON mine.follower_id = $1 "
        "AND mine.followee_id = f.follower_id JOIN accounts a ON a.id = f.follower_id "
        "WHERE f.followee_id = ANY($2::bigint[]) AND a.active) x WHERE n <= $3 "
        "ORDER BY target, n", reader_id, ids, FAMILIAR_MAX)
    found: dict[int, list[int]] = {}
    for row in rows:
        found.setdefault(row["target"], []).append(row["follower"])
    return found


_DIRECTORY_ORDER = {  # constants only: the order a request names picks one
    "active": "a.last_status_at DESC NULLS LAST, a.id DESC",
    "new": "a.created_at DESC, a.id DESC",
}


async def directory(conn: asyncpg.Connection, reader_id: int, order: str, offset: int,
                    limit: int) -> list[AccountRecord]:
    """The reader's network's active, discoverable members (the reader's network only: a guest
    of shared communities sees its own network's directory)."""
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} {ACCOUNTS_FROM} JOIN accounts r ON r.id = $1 "
        "WHERE a.network_id = r.network_id AND a.active AND a.discoverable "
        f"ORDER BY {_DIRECTORY_ORDER[order]} OFFSET $2 LIMIT $3", reader_id, offset, limit)
    return [account_from_row(row) for row in rows]


async def weekly_registrations(conn: asyncpg.Connection, network_id: int, since_ms: int
                               ) -> list[WeekCount]:
    rows = await conn.fetch(
        "SELECT (extract(epoch FROM date_trunc('week', created_at AT TIME ZONE 'UTC')) * 1000)"
        "::bigint AS week, count(*) AS n FROM accounts WHERE network_id = $1 "
        "AND created_at >= to_timestamp($2::bigint / 1000.0) GROUP BY 1",
        network_id, since_ms)
    return [WeekCount(week_ms=r["week"], count=r["n"]) for r in rows]
