"""SQL for grouped notifications (Mastodon 4.3's /api/v2/notifications), one statement a page.

A group appears once, at its newest shown notification (its "head"): a page is the heads within
the id window, newest first, so paging by heads' ids never shows a group twice nor skips one,
however its notifications interleave with others'. (Mastodon pages by a notification per group
within the window, so a group reaching past a page's end comes again on the next page, and
clients drop the repeat; here it does not come again.) Each head row then gathers its group's
count, its eight most recent senders and its oldest notification within the page, through the
``(account_id, group_key, id)`` index.

Which notifications group is the request's ``grouped_types``: a notification of another type
(or without a key) is a group of one, ``ungrouped-<id>``."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from services.notify.store.shown import Params, Shown, ungrouped_id
from shared.contracts.notify import (
    GROUPABLE_TYPES,
    GetGroup,
    ListGroups,
    NotificationGroup,
)
from shared.paging import id_window

SAMPLE_ACCOUNTS = 8  # Mastodon's NotificationGroup::SAMPLE_ACCOUNTS_SIZE
MAX_LIMIT = 80


def grouping(grouped_types: list[str] | None) -> list[str]:
    """The types that group: all that can by default, else those named that can."""
    if not grouped_types:
        return list(GROUPABLE_TYPES)
    return [t for t in GROUPABLE_TYPES if t in grouped_types]


def _statement(where: Callable[[str], str], grouped: str, window_sql: str, floor_sql: str,
               samples: str) -> str:
    heads = f"""
        SELECT n.id, n.type, n.from_account_id, n.status_id, n.community_id, n.group_key,
               (extract(epoch FROM n.created_at) * 1000)::bigint AS created_at,
               (n.group_key IS NOT NULL AND n.type = ANY({grouped}::text[])) AS grouped
        FROM notifications n
        WHERE {where('n')}
          AND NOT (n.group_key IS NOT NULL AND n.type = ANY({grouped}::text[]) AND EXISTS (
              SELECT 1 FROM notifications m
              WHERE m.group_key = n.group_key AND m.id > n.id AND {where('m')}))
          {window_sql}"""
    members = f"m.group_key = h.group_key AND {where('m')}"
    return f"""
        WITH heads AS ({heads}), floor AS ({floor_sql})
        SELECT h.*, g.count, g.oldest, s.samples
        FROM heads h CROSS JOIN floor f
        LEFT JOIN LATERAL (
            SELECT count(*) AS count, min(m.id) FILTER (WHERE m.id >= f.lo) AS oldest
            FROM notifications m WHERE h.grouped AND {members}) g ON true
        LEFT JOIN LATERAL (
            SELECT array_agg(x.from_account_id ORDER BY x.last DESC) AS samples FROM (
                SELECT m.from_account_id, max(m.id) AS last FROM notifications m
                WHERE h.grouped AND {members}
                GROUP BY m.from_account_id ORDER BY last DESC LIMIT {samples}) x) s ON true
        ORDER BY h.id DESC"""


def _group(row: asyncpg.Record, *, paged: bool) -> NotificationGroup:
    alone = not row["grouped"]
    oldest = row["id"] if alone or row["oldest"] is None else row["oldest"]
    return NotificationGroup(
        group_key=f"ungrouped-{row['id']}" if alone else row["group_key"],
        type=row["type"],
        most_recent_notification_id=row["id"],
        notifications_count=1 if alone else row["count"],
        sample_account_ids=[row["from_account_id"]] if alone else list(row["samples"] or []),
        status_id=row["status_id"],
        community_id=row["community_id"],
        latest_at=row["created_at"],
        page_min_id=oldest if paged else None,
        page_max_id=row["id"] if paged else None,
    )


async def page(conn: asyncpg.Connection, req: ListGroups) -> list[NotificationGroup]:
    shown = Shown(account_id=req.account_id, types=req.types, exclude_types=req.exclude_types,
                  from_account_id=req.from_account_id, include_filtered=req.include_filtered,
                  exclude_from=req.exclude_from)
    params = Params()
    where = shown.where(params)
    grouped = params.add(grouping(req.grouped_types))
    limit = max(1, min(req.limit, MAX_LIMIT))
    window = id_window("n.id", max_id=req.max_id, since_id=req.since_id, min_id=req.min_id,
                       limit=limit, max_limit=MAX_LIMIT, first_arg=len(params.args) + 1)
    params.args.extend(window.args)
    # The page's lower end, from which each group's oldest notification in the page is read:
    # the last head when the page is full (older ones are the next page's), else the bound
    # asked for. Paging up (min_id), the page starts right after min_id.
    bound = req.min_id if window.ascending else req.since_id
    floor = (f"SELECT CASE WHEN NOT {params.add(window.ascending)}::boolean "
             f"AND count(*) >= {params.add(limit)} THEN min(id) "
             f"ELSE {params.add(0 if bound is None else bound + 1)}::bigint END AS lo FROM heads")
    rows = await conn.fetch(
        _statement(where, grouped, window.sql, floor, params.add(SAMPLE_ACCOUNTS)), *params.args)
    return [_group(row, paged=True) for row in rows]


async def group(conn: asyncpg.Connection, req: GetGroup) -> NotificationGroup | None:
    """One group as it stands (filtered notifications too, as Mastodon shows one), or None."""
    params = Params()
    where = Shown(account_id=req.account_id, group_key=req.group_key).where(params)
    alone = ungrouped_id(req.group_key) is not None
    grouped = params.add([] if alone else list(GROUPABLE_TYPES))
    rows = await conn.fetch(
        _statement(where, grouped, "ORDER BY n.id DESC LIMIT 1", "SELECT 0::bigint AS lo",
                   params.add(SAMPLE_ACCOUNTS)), *params.args)
    return _group(rows[0], paged=False) if rows else None
