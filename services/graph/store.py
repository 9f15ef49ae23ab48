"""SQL for the graph schema."""

from __future__ import annotations

import json

import asyncpg

from shared.contracts.graph import IdPage
from shared.records import AccountRecord

ACCOUNT_COLUMNS = """
    a.id, a.username, a.network_id, n.domain AS network_domain, a.display_name, a.note,
    a.locked, a.bot, a.discoverable, a.role, a.followers_count, a.following_count,
    a.statuses_count,
    (extract(epoch FROM a.created_at) * 1000)::bigint AS created_at,
    (extract(epoch FROM a.last_status_at) * 1000)::bigint AS last_status_at,
    a.fields::text AS fields, a.avatar_url, a.header_url, a.title, a.department,
    a.deactivated_at IS NOT NULL AS deactivated, a.default_privacy
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


async def network_for_domain(conn: asyncpg.Connection, domain: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, invitation_only FROM networks WHERE domain = $1",
                               domain)


async def insert_network(conn: asyncpg.Connection, network_id: int, domain: str) -> int:
    """Create the network, or return the one a concurrent registration just created."""
    row = await conn.fetchrow(
        "INSERT INTO networks (id, domain, name) VALUES ($1, $2, $2) "
        "ON CONFLICT (domain) DO UPDATE SET domain = EXCLUDED.domain RETURNING id",
        network_id, domain,
    )
    return row["id"]


async def follow_row(conn: asyncpg.Connection, follower_id: int, followee_id: int
                     ) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT reblogs, notify FROM follows WHERE follower_id = $1 AND followee_id = $2",
        follower_id, followee_id,
    )


async def following_among(conn: asyncpg.Connection, account_id: int, ids: list[int]) -> dict:
    rows = await conn.fetch(
        "SELECT followee_id, reblogs, notify FROM follows "
        "WHERE follower_id = $1 AND followee_id = ANY($2::bigint[])",
        account_id, ids,
    )
    return {row["followee_id"]: row for row in rows}


async def followed_by_among(conn: asyncpg.Connection, account_id: int, ids: list[int]
                            ) -> set[int]:
    rows = await conn.fetch(
        "SELECT follower_id FROM follows "
        "WHERE followee_id = $1 AND follower_id = ANY($2::bigint[])",
        account_id, ids,
    )
    return {row["follower_id"] for row in rows}


async def follower_ids(conn: asyncpg.Connection, account_id: int, after_id: int, limit: int,
                       *, reblogs_only: bool = False, notify_only: bool = False) -> list[int]:
    if notify_only:
        # Its own statement, so that the plan uses the partial index (follows_notify).
        rows = await conn.fetch(
            "SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2 "
            "AND notify AND (reblogs OR NOT $4) ORDER BY follower_id LIMIT $3",
            account_id, after_id, limit, reblogs_only)
    else:
        rows = await conn.fetch(
            "SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2 "
            "AND (reblogs OR NOT $4) ORDER BY follower_id LIMIT $3",
            account_id, after_id, limit, reblogs_only)
    return [row["follower_id"] for row in rows]


async def following_ids(conn: asyncpg.Connection, account_id: int) -> list[int]:
    rows = await conn.fetch("SELECT followee_id FROM follows WHERE follower_id = $1", account_id)
    return [row["followee_id"] for row in rows]


async def community_ids(conn: asyncpg.Connection, account_id: int) -> list[int]:
    rows = await conn.fetch("SELECT community_id FROM community_members WHERE account_id = $1",
                            account_id)
    return [row["community_id"] for row in rows]


async def blocked_either_way(conn: asyncpg.Connection, account_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT target_id AS other FROM blocks WHERE account_id = $1 "
        "UNION SELECT account_id FROM blocks WHERE target_id = $1", account_id)
    return [row["other"] for row in rows]


async def muted_ids(conn: asyncpg.Connection, account_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT target_id FROM mutes WHERE account_id = $1 "
        "AND (expires_at IS NULL OR expires_at > now())", account_id)
    return [row["target_id"] for row in rows]


async def first_mute_end_in_s(conn: asyncpg.Connection, account_id: int) -> float | None:
    """Seconds until the first of the account's timed mutes ends, or None."""
    return await conn.fetchval(
        "SELECT extract(epoch FROM min(expires_at) - now())::float8 FROM mutes "
        "WHERE account_id = $1 AND expires_at > now()", account_id)


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
    """The account's network, role and whether it is deactivated."""
    return await conn.fetchrow(
        "SELECT id, network_id, role, deactivated_at IS NOT NULL AS deactivated "
        "FROM accounts WHERE id = $1", account_id)


async def may_see(conn: asyncpg.Connection, reader_id: int, target_id: int) -> bool:
    """Whether the reader may see the (active) target account at all."""
    return bool(await conn.fetchval(
        "SELECT true FROM accounts a, accounts r WHERE a.id = $2 AND r.id = $1 "
        f"AND a.deactivated_at IS NULL AND {visible_to('$1', 'r.network_id')}",
        reader_id, target_id))


def page_clause(page: IdPage, column: str, args: list) -> tuple[str, str, bool]:
    """WHERE fragment, ORDER BY and whether to reverse the rows, for max/since/min ids."""
    clauses = []
    for value, op in ((page.max_id, "<"), (page.since_id, ">"), (page.min_id, ">")):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} {op} ${len(args)}")
    # min_id pages the oldest newer items first, then shows them newest first like the rest.
    ascending = page.min_id is not None and page.max_id is None
    where = (" AND " + " AND ".join(clauses)) if clauses else ""
    return where, f"ORDER BY {column} {'ASC' if ascending else 'DESC'}", ascending


async def account_page(conn: asyncpg.Connection, where: str, args: list, page: IdPage, *,
                       max_limit: int = 80) -> list[AccountRecord]:
    """Accounts matching ``where`` (on alias ``a``), paged by account id, newest first."""
    args = list(args)
    paging, order, ascending = page_clause(page, "a.id", args)
    args.append(max(1, min(page.limit, max_limit)))
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} {ACCOUNTS_FROM} WHERE {where}{paging} {order} "
        f"LIMIT ${len(args)}", *args)
    accounts = [account_from_row(row) for row in rows]
    if ascending:
        accounts.reverse()
    return accounts


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
        f"AND a.deactivated_at IS NULL AND {visible_to('$1', 'r.network_id')}",
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
        f"AND a.deactivated_at IS NULL AND {visible_to('$1', 'r.network_id')} "
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
        f" AND a.deactivated_at IS NULL AND {visible_to('$1', '$3')}",
        [reader_id, account_id, await _network_id(conn, reader_id)], page)


async def following_page(conn: asyncpg.Connection, account_id: int, reader_id: int,
                         page: IdPage) -> list[AccountRecord]:
    return await account_page(
        conn, "EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $2 AND f.followee_id = a.id)"
        f" AND a.deactivated_at IS NULL AND {visible_to('$1', '$3')}",
        [reader_id, account_id, await _network_id(conn, reader_id)], page)


async def _network_id(conn: asyncpg.Connection, account_id: int) -> int | None:
    return await conn.fetchval("SELECT network_id FROM accounts WHERE id = $1", account_id)


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
        WHERE r.id = $1 AND a.deactivated_at IS NULL AND a.discoverable
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


# --- followed hashtags --------------------------------------------------------------------------

async def follow_tag(conn: asyncpg.Connection, account_id: int, tag: str, follow_id: int
                     ) -> bool:
    """True if the account did not follow the tag before."""
    return bool(await conn.fetchval(
        "INSERT INTO followed_tags (account_id, tag, id) VALUES ($1, $2, $3) "
        "ON CONFLICT (account_id, tag) DO NOTHING RETURNING true", account_id, tag, follow_id))


async def unfollow_tag(conn: asyncpg.Connection, account_id: int, tag: str) -> None:
    await conn.execute("DELETE FROM followed_tags WHERE account_id = $1 AND tag = $2",
                       account_id, tag)


async def followed_tag_id(conn: asyncpg.Connection, account_id: int, tag: str) -> int | None:
    return await conn.fetchval("SELECT id FROM followed_tags WHERE account_id = $1 AND tag = $2",
                               account_id, tag)


async def followed_tags_page(conn: asyncpg.Connection, account_id: int, page: IdPage
                             ) -> list[asyncpg.Record]:
    args: list = [account_id]
    paging, order, ascending = page_clause(page, "id", args)
    args.append(max(1, min(page.limit, 200)))
    rows = await conn.fetch(
        f"SELECT id, tag FROM followed_tags WHERE account_id = $1{paging} {order} "
        f"LIMIT ${len(args)}", *args)
    return list(reversed(rows)) if ascending else list(rows)


# --- networks -----------------------------------------------------------------------------------

async def network(conn: asyncpg.Connection, network_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT n.id, n.domain, n.name, n.invitation_only, "
        "(extract(epoch FROM n.created_at) * 1000)::bigint AS created_at, "
        "(SELECT count(*) FROM accounts a WHERE a.network_id = n.id "
        " AND a.deactivated_at IS NULL) AS members_count "
        "FROM networks n WHERE n.id = $1", network_id)


async def network_members_page(conn: asyncpg.Connection, network_id: int, page: IdPage
                               ) -> list[AccountRecord]:
    return await account_page(conn, "a.network_id = $1 AND a.deactivated_at IS NULL",
                              [network_id], page)


# --- timelines: fanout and home reads -------------------------------------------------------------

async def followers_count(conn: asyncpg.Connection, account_id: int) -> int:
    """The counter kept in the follow's own transaction: exact, and one row to read."""
    return await conn.fetchval("SELECT followers_count FROM accounts WHERE id = $1",
                               account_id) or 0


async def followees(conn: asyncpg.Connection, account_id: int) -> list[asyncpg.Record]:
    """Who the account follows: ``followee_id``, ``reblogs``, ``followers_count``."""
    return await conn.fetch(
        "SELECT f.followee_id, f.reblogs, a.followers_count FROM follows f "
        "JOIN accounts a ON a.id = f.followee_id WHERE f.follower_id = $1", account_id)


async def followees_above(conn: asyncpg.Connection, account_id: int, threshold: int
                          ) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT f.followee_id, f.reblogs FROM follows f JOIN accounts a ON a.id = f.followee_id "
        "WHERE f.follower_id = $1 AND a.followers_count > $2 ORDER BY f.followee_id",
        account_id, threshold)


async def account_ids_page(conn: asyncpg.Connection, after_id: int, limit: int) -> list[int]:
    rows = await conn.fetch("SELECT id FROM accounts WHERE id > $1 ORDER BY id LIMIT $2",
                            after_id, limit)
    return [row["id"] for row in rows]


async def follower_ids_page(conn: asyncpg.Connection, account_id: int, after_id: int, limit: int,
                            *, reblogs_only: bool = False) -> list[int]:
    """Like ``follower_ids``, for fanout's hot path: one array instead of a row per follower,
    and an index-only scan of ``follows_followee`` unless reblogs matter."""
    if reblogs_only:
        return await conn.fetchval(
            "SELECT coalesce(array_agg(follower_id ORDER BY follower_id), '{}') FROM ("
            "SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2 "
            "AND reblogs ORDER BY follower_id LIMIT $3) f", account_id, after_id, limit)
    return await conn.fetchval(
        "SELECT coalesce(array_agg(follower_id ORDER BY follower_id), '{}') FROM ("
        "SELECT follower_id FROM follows WHERE followee_id = $1 AND follower_id > $2 "
        "ORDER BY follower_id LIMIT $3) f", account_id, after_id, limit)


# A page of follower ids as one bytea of big-endian 8-byte ids (the packed follower page of
# shared/contracts/graph): Postgres packs them, no Python int is made on this side.
_PACKED_PAGE = (
    "SELECT coalesce(string_agg(int8send(follower_id), ''::bytea ORDER BY follower_id), "
    "''::bytea) FROM (SELECT follower_id FROM follows WHERE followee_id = $1 "
    "AND follower_id > {after} {reblogs}ORDER BY follower_id LIMIT $2) f")
_PACKED = {reblogs: "SELECT (" + _PACKED_PAGE.format(after="$3", reblogs=filter_) + ")"
           for reblogs, filter_ in ((False, ""), (True, "AND reblogs "))}
# The first page, unless the followers are more than $3 (then NULL), and their count.
_COUNT_AND_FIRST_PACKED = {
    reblogs: "SELECT a.followers_count, CASE WHEN a.followers_count > $3 THEN NULL ELSE ("
             + _PACKED_PAGE.format(after="0", reblogs=filter_)
             + ") END FROM accounts a WHERE a.id = $1"
    for reblogs, filter_ in ((False, ""), (True, "AND reblogs "))}


async def follower_ids_packed(conn: asyncpg.Connection, account_id: int, after_id: int,
                              limit: int, *, reblogs_only: bool = False) -> bytes:
    """``follower_ids_page``, packed."""
    return await conn.fetchval(_PACKED[reblogs_only], account_id, limit, after_id)


async def followers_count_and_packed(conn: asyncpg.Connection, account_id: int, limit: int,
                                     unless_above: int, *, reblogs_only: bool = False
                                     ) -> tuple[int, bytes | None]:
    """The count of followers and, unless they are more than ``unless_above`` (None), the
    first packed page: one round trip for fanout's first question about every post."""
    row = await conn.fetchrow(_COUNT_AND_FIRST_PACKED[reblogs_only], account_id, limit,
                              unless_above)
    if row is None:
        return 0, b""
    return row[0] or 0, row[1]
