"""SQL for what accounts do to statuses: favourites, reblogs, bookmarks, pins, and the pages
and flags read from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import asyncpg

from shared import events, outbox
from shared.contracts.posts import Page, PageItem
from shared.paging import id_window

# Who or what a page lists, from which rows: (FROM and WHERE on $1, listed column); all paged
# by the row's id. Constants of this module only.
_PAGES = {
    "favourited_by": ("favourites WHERE status_id = $1", "account_id"),
    "reblogged_by": ("statuses WHERE deleted_at IS NULL AND reblog_of_id = $1", "account_id"),
    "favourites": ("favourites WHERE account_id = $1", "status_id"),
    "bookmarks": ("bookmarks WHERE account_id = $1", "status_id"),
}


async def _page(conn: asyncpg.Connection, kind: str, key: int, page: Page) -> list[PageItem]:
    rows_from, item = _PAGES[kind]
    window = id_window("id", max_id=page.max_id, since_id=page.since_id, min_id=page.min_id,
                       limit=page.limit, max_limit=80, first_arg=2)
    rows = await conn.fetch(
        f"SELECT id AS cursor, {item} AS id FROM {rows_from}{window.sql}", key, *window.args)
    return window.newest_first([PageItem(cursor=row["cursor"], id=row["id"]) for row in rows])


async def favourited_by_page(conn: asyncpg.Connection, status_id: int, page: Page
                             ) -> list[PageItem]:
    return await _page(conn, "favourited_by", status_id, page)


async def reblogged_by_page(conn: asyncpg.Connection, status_id: int, page: Page
                            ) -> list[PageItem]:
    return await _page(conn, "reblogged_by", status_id, page)


async def favourites_page(conn: asyncpg.Connection, account_id: int, page: Page
                          ) -> list[PageItem]:
    return await _page(conn, "favourites", account_id, page)


async def bookmarks_page(conn: asyncpg.Connection, account_id: int, page: Page
                         ) -> list[PageItem]:
    return await _page(conn, "bookmarks", account_id, page)


# --- the viewer's flags on statuses -------------------------------------------------------------

@dataclass(frozen=True)
class FlagsAmong:
    """The account's marks among some statuses (ids of those it marked); ``votes``: per status
    with a poll it voted in, (poll id, its choices)."""
    favourited: list[int]
    reblogged: list[int]
    bookmarked: list[int]
    pinned: list[int]
    votes: dict[int, tuple[int, tuple[int, ...]]]


def flags_sql(account: str, ids: str) -> str:
    """Every flag of an account among some statuses, a row per mark (``kind``: f, r, b, p; v a
    poll's votes): ``account`` and ``ids`` the SQL that names them (parameters)."""
    return f"""
SELECT 'f' AS kind, status_id, NULL::bigint AS poll_id, NULL::int[] AS choices
FROM favourites WHERE account_id = {account} AND status_id = ANY({ids})
UNION ALL
SELECT 'r', reblog_of_id, NULL, NULL FROM statuses
WHERE account_id = {account} AND deleted_at IS NULL AND reblog_of_id = ANY({ids})
UNION ALL
SELECT 'b', status_id, NULL, NULL FROM bookmarks
WHERE account_id = {account} AND status_id = ANY({ids})
UNION ALL
SELECT 'p', status_id, NULL, NULL FROM pins WHERE account_id = {account} AND status_id = ANY({ids})
UNION ALL
SELECT 'v', p.status_id, v.poll_id, array_agg(v.choice ORDER BY v.choice)
FROM poll_votes v JOIN polls p ON p.id = v.poll_id
WHERE v.account_id = {account} AND p.status_id = ANY({ids})
GROUP BY v.poll_id, p.status_id
"""


# Every flag in one statement: a page of a timeline asks for its reader's flags (the gateway
# caches them), and five queries were five round trips.
_FLAGS_AMONG = flags_sql("$1", "$2::bigint[]")


async def flags_among(conn: asyncpg.Connection, account_id: int, ids: list[int]) -> FlagsAmong:
    marked: dict[str, list[int]] = {"f": [], "r": [], "b": [], "p": []}
    votes: dict[int, tuple[int, tuple[int, ...]]] = {}
    for row in await conn.fetch(_FLAGS_AMONG, account_id, ids):
        if row["kind"] == "v":
            votes[row["status_id"]] = (row["poll_id"], tuple(row["choices"]))
        else:
            marked[row["kind"]].append(row["status_id"])
    return FlagsAmong(favourited=marked["f"], reblogged=marked["r"], bookmarked=marked["b"],
                      pinned=marked["p"], votes=votes)


# --- favourites, reblogs, bookmarks, pins: the writes -------------------------------------------

class Counted(NamedTuple):
    """What a favourite or unfavourite did: whether it changed anything, and then the status's
    count and row version as its update left them (for status_cache.counted); and the
    account's flags on the status now (for flag_cache.written)."""
    done: bool
    favourites_count: int | None
    version: int | None
    flags: FlagsAmong


# The account's flags on the status ($2, $3) as the statement's snapshot has them, besides the
# favourite (which the statement itself sets or clears): the reader's cached flags are written
# from them, not read again. And the count and the version as the update returned them: the
# status's cached copy is patched from them, not read again.
def _flags_of_one(account: str, status: str) -> str:
    return f"flags AS ({flags_sql(account, f'ARRAY[{status}::bigint]')}), "


_FLAG_COLUMNS = ("(SELECT array_agg(kind) FROM flags) AS marks, "
                 "(SELECT poll_id FROM flags WHERE kind = 'v') AS vote_poll_id, "
                 "(SELECT choices FROM flags WHERE kind = 'v') AS vote_choices")
_COUNTED = ("(SELECT favourites_count FROM counted) AS favourites_count, "
            f"(SELECT version FROM counted) AS version, {_FLAG_COLUMNS}")
_FAVOURITE_CTE, _FAVOURITE_EVENT = outbox.inline_sql("added", 4)
_ADD_FAVOURITE = (
    "WITH added AS (INSERT INTO favourites (id, account_id, status_id) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING RETURNING status_id), "
    "counted AS (UPDATE statuses SET favourites_count = favourites_count + 1 "
    "WHERE id IN (SELECT status_id FROM added) RETURNING favourites_count, version), "
    f"{_flags_of_one('$2', '$3')}{_FAVOURITE_CTE} "
    f"SELECT EXISTS (SELECT 1 FROM added) AS done, {_COUNTED}, {_FAVOURITE_EVENT}")
_UNFAVOURITE_CTE, _UNFAVOURITE_EVENT = outbox.inline_sql("removed", 3)
_REMOVE_FAVOURITE = (
    "WITH removed AS (DELETE FROM favourites WHERE account_id = $1 AND status_id = $2 "
    "RETURNING status_id), "
    "counted AS (UPDATE statuses SET favourites_count = greatest(favourites_count - 1, 0) "
    "WHERE id IN (SELECT status_id FROM removed) RETURNING favourites_count, version), "
    f"{_flags_of_one('$1', '$2')}{_UNFAVOURITE_CTE} "
    f"SELECT EXISTS (SELECT 1 FROM removed) AS done, {_COUNTED}, {_UNFAVOURITE_EVENT}")


def _flags(found: asyncpg.Record, status_id: int, **now: bool) -> FlagsAmong:
    """The flags of one status from ``_FLAG_COLUMNS``, with what the statement itself just set
    (``favourited=``, ``reblogged=``: its snapshot does not see its own write)."""
    marks = set(found["marks"] or ())
    mark = {name: name[0] in marks for name in ("favourited", "reblogged", "bookmarked",
                                                "pinned")} | now
    votes = ({status_id: (found["vote_poll_id"], tuple(found["vote_choices"]))}
             if found["vote_poll_id"] is not None else {})
    return FlagsAmong(**{name: [status_id] if on else [] for name, on in mark.items()},
                      votes=votes)


def _counted(found: asyncpg.Record, status_id: int, *, favourited: bool) -> Counted:
    return Counted(bool(found["done"]), found["favourites_count"], found["version"],
                   _flags(found, status_id, favourited=favourited))


async def add_favourite(conn: asyncpg.Connection, favourite_id: int, account_id: int,
                        status_id: int, event: events.FavouriteAdded) -> Counted:
    """The favourite, the status's count and ``event`` in one statement (one round trip, its
    own transaction unless the caller has one open); not done (and nothing written) if it was
    there: the count moves and the event is written only when the row was new."""
    inline = outbox.Inline.of(conn, "posts", event)
    found = await conn.fetchrow(_ADD_FAVOURITE, favourite_id, account_id, status_id,
                                *inline.args)
    inline.handed(conn, found["event_written"])
    return _counted(found, status_id, favourited=True)


async def remove_favourite(conn: asyncpg.Connection, account_id: int, status_id: int,
                           event: events.FavouriteRemoved) -> Counted:
    """The favourite gone, the count down and ``event`` written, in one statement; not done
    (and nothing written) if there was none."""
    inline = outbox.Inline.of(conn, "posts", event)
    found = await conn.fetchrow(_REMOVE_FAVOURITE, account_id, status_id, *inline.args)
    inline.handed(conn, found["event_written"])
    return _counted(found, status_id, favourited=False)


async def live_reblog_id(conn: asyncpg.Connection, account_id: int, status_id: int) -> int | None:
    """The account's live reblog of the status, if any."""
    reblog_id: int | None = await conn.fetchval(
        "SELECT id FROM statuses WHERE account_id = $1 AND reblog_of_id = $2 "
        "AND deleted_at IS NULL", account_id, status_id)
    return reblog_id


class Reblogged(NamedTuple):
    """What a reblog did: whether it was new; and the account's flags on the original now
    (for flag_cache.written)."""
    done: bool
    flags: FlagsAmong


_REBLOG_CTE, _REBLOG_EVENT = outbox.inline_sql("added", 6)
_INSERT_REBLOG = (
    "WITH added AS (INSERT INTO statuses (id, account_id, network_id, text, "
    "content_html, visibility, reblog_of_id) "
    "VALUES ($1, $2, $3, '', '', $4, $5) ON CONFLICT DO NOTHING RETURNING reblog_of_id), "
    "counted AS (UPDATE statuses SET reblogs_count = reblogs_count + 1 "
    "WHERE id IN (SELECT reblog_of_id FROM added) RETURNING 1), "
    f"{_flags_of_one('$2', '$5')}{_REBLOG_CTE} "
    f"SELECT EXISTS (SELECT 1 FROM added) AS done, {_FLAG_COLUMNS}, {_REBLOG_EVENT}")


async def insert_reblog(conn: asyncpg.Connection, reblog_id: int, account_id: int,
                        network_id: int, visibility: str, status_id: int,
                        event: events.ReblogCreated) -> Reblogged:
    """The reblog, the original's count and ``event``, in one statement; not done (nothing
    written) when the account has a live reblog of it already (a concurrent one waits for the
    other to commit). Either way, the account reblogged it."""
    inline = outbox.Inline.of(conn, "posts", event)
    found = await conn.fetchrow(_INSERT_REBLOG, reblog_id, account_id, network_id, visibility,
                                status_id, *inline.args)
    inline.handed(conn, found["event_written"])
    return Reblogged(bool(found["done"]), _flags(found, status_id, reblogged=True))


async def uncount_reblog(conn: asyncpg.Connection, status_id: int) -> None:
    await conn.execute("UPDATE statuses SET reblogs_count = greatest(reblogs_count - 1, 0)"
                       " WHERE id = $1", status_id)


async def delete_reblog(conn: asyncpg.Connection, account_id: int, status_id: int
                        ) -> int | None:
    """The id of the account's live reblog of the status, now deleted; None if there was none."""
    reblog_id: int | None = await conn.fetchval(
        "UPDATE statuses SET deleted_at = now() WHERE account_id = $1 "
        "AND reblog_of_id = $2 AND deleted_at IS NULL RETURNING id",
        account_id, status_id)
    return reblog_id


async def add_bookmark(conn: asyncpg.Connection, bookmark_id: int, account_id: int,
                       status_id: int) -> None:
    await conn.execute("INSERT INTO bookmarks (id, account_id, status_id) "
                       "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                       bookmark_id, account_id, status_id)


async def remove_bookmark(conn: asyncpg.Connection, account_id: int, status_id: int) -> None:
    await conn.execute("DELETE FROM bookmarks WHERE account_id = $1 AND status_id = $2",
                       account_id, status_id)


async def lock_pins(conn: asyncpg.Connection, account_id: int) -> None:
    """Until the transaction ends, the account's other pin transactions wait: two concurrent
    pins cannot pass the limit."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", account_id)


async def pin_count(conn: asyncpg.Connection, account_id: int) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM pins WHERE account_id = $1", account_id)
    return count


async def is_pinned(conn: asyncpg.Connection, account_id: int, status_id: int) -> bool:
    return bool(await conn.fetchval("SELECT true FROM pins WHERE account_id = $1 AND "
                                    "status_id = $2", account_id, status_id))


async def add_pin(conn: asyncpg.Connection, account_id: int, status_id: int) -> None:
    await conn.execute("INSERT INTO pins (account_id, status_id) VALUES ($1, $2) "
                       "ON CONFLICT DO NOTHING", account_id, status_id)


async def remove_pin(conn: asyncpg.Connection, account_id: int, status_id: int) -> None:
    await conn.execute("DELETE FROM pins WHERE account_id = $1 AND status_id = $2",
                       account_id, status_id)


async def unpin_everywhere(conn: asyncpg.Connection, status_id: int) -> None:
    """For a deleted status: off every profile it was pinned to."""
    await conn.execute("DELETE FROM pins WHERE status_id = $1", status_id)
