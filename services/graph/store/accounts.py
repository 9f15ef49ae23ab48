"""SQL for accounts and networks: the account row, who may see whom, profiles, search,
follower lists, network members."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from shared.contracts.graph import IdPage
from shared.paging import id_window
from shared.records import AccountRecord

ACCOUNT_COLUMNS = """
    a.id, a.username, a.network_id, n.domain AS network_domain, a.display_name, a.note,
    a.locked, a.bot, a.discoverable, a.role, a.followers_count, a.following_count,
    a.statuses_count,
    (extract(epoch FROM a.created_at) * 1000)::bigint AS created_at,
    (extract(epoch FROM a.last_status_at) * 1000)::bigint AS last_status_at,
    a.fields::text AS fields, a.avatar_url, a.header_url, a.title, a.department,
    a.deactivated_at IS NOT NULL AS deactivated, a.default_privacy,
    a.confirmed_at IS NOT NULL AS confirmed, a.approved_at IS NOT NULL AS approved,
    a.silenced_at IS NOT NULL AS silenced, a.suspended_at IS NOT NULL AS suspended,
    a.disabled_at IS NOT NULL AS disabled, a.sensitized_at IS NOT NULL AS sensitized
"""


def account_from_row(row: asyncpg.Record) -> AccountRecord:
    values = dict(row)
    values["fields"] = json.loads(values["fields"]) if values["fields"] else []
    return AccountRecord(**values)


async def accounts_by_ids(conn: asyncpg.Connection, ids: list[int]) -> list[AccountRecord]:
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN networks n ON n.id = a.network_id "
        "WHERE a.id = ANY($1::bigint[])",
        ids,
    )
    return [account_from_row(row) for row in rows]


async def accounts_by_usernames(conn: asyncpg.Connection, usernames: list[str]
                                ) -> list[AccountRecord]:
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN networks n ON n.id = a.network_id "
        "WHERE lower(a.username) = ANY($1::text[])",
        [name.lower() for name in usernames],
    )
    return [account_from_row(row) for row in rows]


async def credentials(conn: asyncpg.Connection, login: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, password_hash FROM accounts WHERE lower(email) = $1 OR lower(username) = $1",
        login.strip().lower(),
    )


async def account_exists(conn: asyncpg.Connection, account_id: int) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)",
                                    account_id))


async def follow_target(conn: asyncpg.Connection, account_id: int) -> asyncpg.Record | None:
    """``locked`` and ``gone`` (deactivated) of an account about to be followed."""
    return await conn.fetchrow(
        "SELECT locked, NOT active AS gone FROM accounts WHERE id = $1",
        account_id)


async def network_id_of(conn: asyncpg.Connection, account_id: int) -> int | None:
    network_id: int | None = await conn.fetchval(
        "SELECT network_id FROM accounts WHERE id = $1", account_id)
    return network_id


# --- who may see whom ---------------------------------------------------------------------------

def visible_to(reader: str, reader_network: str) -> str:
    """SQL: account ``a`` is visible to the reader (placeholders given). Same network, or a
    community they share: a guest sees the people of its communities and nothing else of the
    host network."""
    return (f"(a.network_id = {reader_network} OR EXISTS ("
            "SELECT 1 FROM community_members mine JOIN community_members theirs "
            "ON theirs.community_id = mine.community_id "
            f"WHERE mine.account_id = {reader} AND theirs.account_id = a.id))")


ACCOUNTS_FROM = "FROM accounts a JOIN networks n ON n.id = a.network_id"
# Either one blocks the other, between account ``a`` and the reader ($1).
BLOCKS_EITHER_WAY = ("SELECT 1 FROM blocks b WHERE (b.account_id = $1 AND b.target_id = a.id) "
                     "OR (b.account_id = a.id AND b.target_id = $1)")


async def member_of(conn: asyncpg.Connection, account_id: int) -> asyncpg.Record | None:
    """The account's network, role and ``deactivated``: whether it is not a member (deactivated,
    or its sign-up not yet confirmed or approved)."""
    return await conn.fetchrow(
        "SELECT id, network_id, role, NOT active AS deactivated "
        "FROM accounts WHERE id = $1", account_id)


async def may_see(conn: asyncpg.Connection, reader_id: int, target_id: int) -> bool:
    """Whether the reader may see the (active) target account at all."""
    return bool(await conn.fetchval(
        "SELECT true FROM accounts a, accounts r WHERE a.id = $2 AND r.id = $1 "
        f"AND a.active AND {visible_to('$1', 'r.network_id')}",
        reader_id, target_id))


async def account_page(conn: asyncpg.Connection, where: str, args: list[Any], page: IdPage, *,
                       max_limit: int = 80) -> list[AccountRecord]:
    """Accounts matching ``where`` (on alias ``a``, this module's own SQL), paged by account id,
    newest first."""
    window = id_window("a.id", max_id=page.max_id, since_id=page.since_id, min_id=page.min_id,
                       limit=page.limit, max_limit=max_limit, first_arg=len(args) + 1)
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} {ACCOUNTS_FROM} WHERE {where}{window.sql}",
        *args, *window.args)
    return window.newest_first([account_from_row(row) for row in rows])


async def visible_account_ids(conn: asyncpg.Connection, reader_id: int, ids: list[int]
                              ) -> list[int]:
    """Those of ``ids`` that the reader may see (and that are active)."""
    rows = await conn.fetch(
        "SELECT a.id FROM accounts a, accounts r WHERE r.id = $1 "
        "AND a.id = ANY($2::bigint[]) AND a.active "
        f"AND {visible_to('$1', 'r.network_id')}", reader_id, ids)
    return [row["id"] for row in rows]


# --- profiles -----------------------------------------------------------------------------------

async def posting_defaults(conn: asyncpg.Connection, account_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT default_privacy, default_sensitive, default_language FROM accounts "
        "WHERE id = $1", account_id)


async def account_by_acct(conn: asyncpg.Connection, reader_id: int, username: str,
                          domain: str | None) -> AccountRecord | None:
    row = await conn.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS} {ACCOUNTS_FROM}, accounts r "
        "WHERE r.id = $1 AND lower(a.username) = $2 AND ($3::text IS NULL OR n.domain = $3) "
        f"AND a.active AND {visible_to('$1', 'r.network_id')}",
        reader_id, username.lower(), domain.lower() if domain else None)
    return account_from_row(row) if row else None


def like_prefix(text: str) -> str:
    """A LIKE pattern matching ``text`` literally at the start."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search_accounts(conn: asyncpg.Connection, reader_id: int, prefix: str,
                          domain: str | None, *, limit: int, offset: int, following: bool
                          ) -> list[AccountRecord]:
    """Prefix search on username and display name among the accounts the reader may see: an
    exact username first, then the ones the reader follows, then the most followed."""
    follows_a = "EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followee_id = a.id)"
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} {ACCOUNTS_FROM}, accounts r "
        "WHERE r.id = $1 AND (lower(a.username) LIKE $2 OR lower(a.display_name) LIKE $2) "
        "AND ($3::text IS NULL OR n.domain = $3) "
        f"AND a.active AND {visible_to('$1', 'r.network_id')} "
        f"AND NOT EXISTS ({BLOCKS_EITHER_WAY}) AND (NOT $6 OR {follows_a}) "
        f"ORDER BY lower(a.username) = $7 DESC, {follows_a} DESC, a.followers_count DESC, a.id "
        "LIMIT $4 OFFSET $5",
        reader_id, like_prefix(prefix.lower()), domain.lower() if domain else None,
        limit, offset, following, prefix.lower())
    return [account_from_row(row) for row in rows]


# --- follower lists and suggestions ------------------------------------------------------------

async def followers_page(conn: asyncpg.Connection, account_id: int, reader_id: int,
                         page: IdPage) -> list[AccountRecord]:
    return await account_page(
        conn, "EXISTS (SELECT 1 FROM follows f WHERE f.followee_id = $2 AND f.follower_id = a.id)"
        f" AND a.active AND {visible_to('$1', '$3')}",
        [reader_id, account_id, await network_id_of(conn, reader_id)], page)


async def following_page(conn: asyncpg.Connection, account_id: int, reader_id: int,
                         page: IdPage) -> list[AccountRecord]:
    return await account_page(
        conn, "EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $2 AND f.followee_id = a.id)"
        f" AND a.active AND {visible_to('$1', '$3')}",
        [reader_id, account_id, await network_id_of(conn, reader_id)], page)


async def friends_of_friends(conn: asyncpg.Connection, account_id: int, limit: int
                             ) -> list[tuple[AccountRecord, int]]:
    """Accounts that the reader's followees follow, with how many of them do: the reader's own
    network first, then the best connected. Left out: the reader, whom they follow or asked to,
    whom they block, mute or are blocked by, deactivated and undiscoverable accounts."""
    rows = await conn.fetch(
        f"""
        WITH mine AS (SELECT followee_id FROM follows WHERE follower_id = $1),
        candidates AS (
            SELECT f.followee_id AS id, count(*) AS score
            FROM follows f JOIN mine ON f.follower_id = mine.followee_id
            WHERE f.followee_id <> $1 AND f.followee_id NOT IN (SELECT followee_id FROM mine)
            GROUP BY f.followee_id
        )
        SELECT {ACCOUNT_COLUMNS}, c.score AS score
        FROM candidates c JOIN accounts a ON a.id = c.id JOIN networks n ON n.id = a.network_id,
             accounts r
        WHERE r.id = $1 AND a.active AND a.discoverable
          AND {visible_to('$1', 'r.network_id')}
          AND NOT EXISTS ({BLOCKS_EITHER_WAY})
          AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $1 AND m.target_id = a.id
                          AND (m.expires_at IS NULL OR m.expires_at > now()))
          AND NOT EXISTS (SELECT 1 FROM follow_requests q WHERE q.follower_id = $1
                          AND q.followee_id = a.id)
        ORDER BY a.network_id = r.network_id DESC, c.score DESC, a.followers_count DESC, a.id DESC
        LIMIT $2
        """, account_id, limit)
    found = []
    for row in rows:
        values = dict(row)
        score = values.pop("score")
        found.append((account_from_row(values), score))
    return found


# --- a network's members ------------------------------------------------------------------------

async def network_members_page(conn: asyncpg.Connection, network_id: int, page: IdPage
                               ) -> list[AccountRecord]:
    return await account_page(conn, "a.network_id = $1 AND a.active",
                              [network_id], page)


async def insert_account(conn: asyncpg.Connection, *, account_id: int, network_id: int,
                         username: str, email: str, password_hash: str, display_name: str,
                         role: str, confirmed: bool = True, approved: bool = True,
                         approval_required: bool = False) -> None:
    """Raises asyncpg's ``UniqueViolationError`` for a username (or confirmed e-mail) already
    taken. An account not ``confirmed`` or not ``approved`` is not a member yet; one with
    ``approval_required`` waits for an admin once confirmed, whatever the registration mode."""
    await conn.execute(
        "INSERT INTO accounts (id, network_id, username, email, password_hash, "
        "display_name, role, confirmed_at, approved_at, approval_required) VALUES ($1, $2, "
        "$3, $4, $5, $6, $7, CASE WHEN $8 THEN now() END, CASE WHEN $9 THEN now() END, $10)",
        account_id, network_id, username, email, password_hash, display_name, role,
        confirmed, approved, approval_required,
    )


async def lock_member(conn: asyncpg.Connection, account_id: int) -> asyncpg.Record | None:
    """The account's network, role, whether it is deactivated and whether it is a member
    (``active``), its row locked until the transaction ends."""
    return await conn.fetchrow(
        "SELECT network_id, role, active, deactivated_at IS NOT NULL AS deactivated "
        "FROM accounts WHERE id = $1 FOR UPDATE", account_id)


async def deactivate_account(conn: asyncpg.Connection, account_id: int) -> None:
    await conn.execute("UPDATE accounts SET deactivated_at = now() WHERE id = $1", account_id)


# --- status counters ----------------------------------------------------------------------------

# Records the events not counted before, then adds up their changes per account. A redelivered
# event (in the table already) counts no more; the caller sends each event once.
COUNT_STATUSES = """
WITH fresh AS (
    INSERT INTO applied_events (event_id)
    SELECT unnest($1::bigint[])
    ON CONFLICT DO NOTHING
    RETURNING event_id
), changes AS (
    SELECT c.account_id, sum(c.delta) AS delta,
           max(c.occurred_at) FILTER (WHERE c.delta > 0) AS posted_at
    FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[])
         AS c(event_id, account_id, delta, occurred_at)
    WHERE c.event_id IN (SELECT event_id FROM fresh)
    GROUP BY c.account_id
)
UPDATE accounts a
SET statuses_count = greatest(a.statuses_count + c.delta, 0),
    last_status_at = coalesce(to_timestamp(c.posted_at / 1000.0), a.last_status_at)
FROM changes c, networks n
WHERE a.id = c.account_id AND n.id = a.network_id
RETURNING """ + ACCOUNT_COLUMNS


async def count_statuses(conn: asyncpg.Connection | asyncpg.Pool, event_ids: list[int],
                         account_ids: list[int], deltas: list[int], occurred_at: list[int]
                         ) -> list[AccountRecord]:
    """Apply each event's change (+1 or -1 statuses, at its time) once, in one statement (its
    own transaction); the records of the accounts changed, as updated. The lists run in
    parallel, one entry per event."""
    rows = await conn.fetch(COUNT_STATUSES, event_ids, account_ids, deltas, occurred_at)
    return [account_from_row(row) for row in rows]
