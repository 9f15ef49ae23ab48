"""SQL for media rows: uploads, their processing, attaching them to statuses, and cleaning up.

A row's files are named by keys in media storage; deleting rows here returns their keys, and the
caller writes a ``MediaDeleted`` event in the same transaction so that the media worker deletes
the files (storage is no part of a database transaction: the event is the promise)."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from shared import events, outbox
from shared.contracts.posts import CreateMedia, MediaInfo
from shared.records import MediaRecord

MEDIA_COLUMNS = """
    id, account_id, purpose, state, type, status_id, position, upload_key, thumbnail_key,
    original_key, small_key, content_type, description, focus_x, focus_y, meta::text AS meta,
    blurhash, failure, revision, processed_revision,
    (extract(epoch FROM created_at) * 1000)::bigint AS created_at
"""

# A status's attachments as the status select reads them: one JSON array per status, in the
# author's order, shaped as MediaRecord (the status cache and every reader get them with the
# status, no second query).
STATUS_MEDIA_SQL = """
(SELECT jsonb_agg(jsonb_build_object(
    'id', m.id, 'type', m.type, 'key', m.original_key, 'preview_key', m.small_key,
    'description', m.description,
    'focus', CASE WHEN m.focus_x IS NULL THEN NULL ELSE jsonb_build_array(m.focus_x, m.focus_y)
             END,
    'meta', m.meta, 'blurhash', m.blurhash) ORDER BY m.position, m.id)::text
 FROM media m WHERE m.status_id = s.id) AS media
"""

_attached = msgspec.json.Decoder(tuple[MediaRecord, ...])
_meta = msgspec.json.Decoder(dict[str, Any])


def attached_from(value: str | None) -> tuple[MediaRecord, ...]:
    """A status row's ``media`` column (STATUS_MEDIA_SQL)."""
    return _attached.decode(value) if value else ()


def record_from_row(row: asyncpg.Record) -> MediaRecord:
    focus = (row["focus_x"], row["focus_y"]) if row["focus_x"] is not None else None
    return MediaRecord(
        id=row["id"], type=row["type"], key=row["original_key"], preview_key=row["small_key"],
        description=row["description"], focus=focus, meta=_meta.decode(row["meta"] or "{}"),
        blurhash=row["blurhash"])


def info_from_row(row: asyncpg.Record) -> MediaInfo:
    return MediaInfo(media=record_from_row(row), account_id=row["account_id"],
                     state=row["state"], purpose=row["purpose"], status_id=row["status_id"],
                     failure=row["failure"])


def keys_of(row: asyncpg.Record) -> list[str]:
    """Every file a row names (the upload, a thumbnail, the processed files)."""
    found = [row["upload_key"], row["thumbnail_key"], row["original_key"], row["small_key"]]
    return list(dict.fromkeys(k for k in found if k))


async def insert_media(conn: asyncpg.Connection, req: CreateMedia, event: events.MediaUploaded
                       ) -> asyncpg.Record:
    """The new row in ``processing`` and its ``MediaUploaded`` event, in one statement (one
    implicit transaction: the worker hears of every row, and of no row that is not there)."""
    focus_x, focus_y = req.focus if req.focus is not None else (None, None)
    row: asyncpg.Record = await conn.fetchrow(
        f"""
        WITH m AS (
            INSERT INTO media (id, account_id, purpose, type, upload_key, thumbnail_key,
                description, focus_x, focus_y)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            RETURNING {MEDIA_COLUMNS}
        ), event AS (
            INSERT INTO outbox (id, subject, payload) VALUES ($10, $11, $12)
        )
        SELECT m.*, pg_notify($13, '') FROM m
        """,
        req.media_id, req.account_id, req.purpose, req.type, req.upload_key, req.thumbnail_key,
        req.description, focus_x, focus_y, *outbox.row(event), outbox.channel("posts"))
    return row


async def media_row(conn: asyncpg.Connection, media_id: int, *, lock: bool = False
                    ) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {MEDIA_COLUMNS} FROM media WHERE id = $1{' FOR UPDATE' if lock else ''}",
        media_id)
    return row


async def lock_media(conn: asyncpg.Connection, ids: list[int]) -> list[asyncpg.Record]:
    """The rows of ``ids`` (those there), locked until the transaction ends: attaching checks
    them and writes them with no one else attaching them meanwhile."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {MEDIA_COLUMNS} FROM media WHERE id = ANY($1::bigint[]) ORDER BY id "
        "FOR UPDATE", ids)
    return rows


async def attach(conn: asyncpg.Connection, status_id: int, ids: list[int]) -> None:
    """Attach ``ids`` to the status in that order, and detach what it held besides."""
    await detach(conn, status_id, keep=ids)
    if ids:
        await conn.execute(
            "UPDATE media SET status_id = $1, position = array_position($2::bigint[], id) "
            "WHERE id = ANY($2::bigint[])", status_id, ids)


async def detach(conn: asyncpg.Connection, status_id: int, *, keep: list[int] | None = None
                 ) -> list[int]:
    """Take the status's attachments off it (but those in ``keep``): free to attach again, and
    the orphan chore's once they have waited its time. Their ids."""
    rows = await conn.fetch(
        "UPDATE media SET status_id = NULL, position = NULL, detached_at = now() "
        "WHERE status_id = $1 AND NOT (id = ANY($2::bigint[])) RETURNING id",
        status_id, keep or [])
    return [row["id"] for row in rows]


async def describe(conn: asyncpg.Connection, media_id: int, *, description: str | None,
                   focus: tuple[float, float] | None) -> asyncpg.Record | None:
    """Change what is given; the row as it is now (None: gone)."""
    focus_x, focus_y = focus if focus is not None else (None, None)
    row: asyncpg.Record | None = await conn.fetchrow(
        f"""
        UPDATE media SET description = coalesce($2, description),
            focus_x = CASE WHEN $3::real IS NULL THEN focus_x ELSE $3 END,
            focus_y = CASE WHEN $3::real IS NULL THEN focus_y ELSE $4 END
        WHERE id = $1 RETURNING {MEDIA_COLUMNS}
        """, media_id, description, focus_x, focus_y)
    return row


async def reprocess(conn: asyncpg.Connection, media_id: int, thumbnail_key: str
                    ) -> asyncpg.Record | None:
    """A new thumbnail: the row goes back to processing under the next revision (its served
    files stay until the new ones are made). Returns the row with the old thumbnail's key as
    ``old_thumbnail_key``."""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"""
        WITH old AS (SELECT thumbnail_key FROM media WHERE id = $1 FOR UPDATE)
        UPDATE media SET thumbnail_key = $2, revision = revision + 1, state = 'processing',
            failure = NULL, requested_at = now()
        WHERE id = $1 RETURNING {MEDIA_COLUMNS}, (SELECT thumbnail_key FROM old)
            AS old_thumbnail_key
        """, media_id, thumbnail_key)
    return row


async def mark_ready(conn: asyncpg.Connection, media_id: int, revision: int, *, type: str,
                     content_type: str, original_key: str, small_key: str | None,
                     meta: dict[str, Any], blurhash: str | None) -> asyncpg.Record | None:
    """The processed files of ``revision``, unless the row is gone or a later revision was
    asked for meanwhile (then None: the later one's event does its own work)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"""
        UPDATE media SET state = 'ready', type = $3, content_type = $4, original_key = $5,
            small_key = $6, meta = $7::jsonb, blurhash = $8, failure = NULL,
            processed_revision = $2, processed_at = now()
        WHERE id = $1 AND revision = $2 RETURNING {MEDIA_COLUMNS}
        """, media_id, revision, type, content_type, original_key, small_key,
        msgspec.json.encode(meta).decode(), blurhash)
    return row


async def mark_failed(conn: asyncpg.Connection, media_id: int, revision: int, failure: str
                      ) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"""
        UPDATE media SET state = 'failed', failure = $3, processed_revision = $2,
            processed_at = now()
        WHERE id = $1 AND revision = $2 RETURNING {MEDIA_COLUMNS}
        """, media_id, revision, failure)
    return row


async def delete_rows(conn: asyncpg.Connection, ids: list[int]) -> list[str]:
    """Delete the rows; the keys of every file they named."""
    rows = await conn.fetch(
        f"DELETE FROM media WHERE id = ANY($1::bigint[]) RETURNING {MEDIA_COLUMNS}", ids)
    return [key for row in rows for key in keys_of(row)]


async def lock_profile_pictures(conn: asyncpg.Connection, account_id: int, purpose: str
                                ) -> None:
    """Serialize, until the transaction ends, the setting of one account's avatar (or header)
    among media workers."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1), ($2::bigint % 2147483647)::int)",
                       f"media:{purpose}", account_id)


async def newest_profile_picture(conn: asyncpg.Connection, account_id: int, purpose: str
                                 ) -> int | None:
    """The account's latest avatar (or header) upload that has not failed."""
    found: int | None = await conn.fetchval(
        "SELECT id FROM media WHERE account_id = $1 AND purpose = $2 AND state <> 'failed' "
        "ORDER BY id DESC LIMIT 1", account_id, purpose)
    return found


async def older_profile_pictures(conn: asyncpg.Connection, account_id: int, purpose: str,
                                 than_id: int) -> list[int]:
    """The account's earlier avatar (or header) uploads: replaced once a newer one is set."""
    rows = await conn.fetch(
        "SELECT id FROM media WHERE account_id = $1 AND purpose = $2 AND id < $3 "
        "FOR UPDATE SKIP LOCKED", account_id, purpose, than_id)
    return [row["id"] for row in rows]


async def orphans(conn: asyncpg.Connection, older_than_s: float, limit: int) -> list[int]:
    """Rows nobody will show, ``older_than_s`` after their upload (or their detaching):
    attachments not attached (never, or no longer: an edit dropped them, their status was
    deleted) nor waiting in a scheduled status, and profile pictures that processing refused.
    Locked, skipping rows another replica's chore holds (each row is cleaned once)."""
    rows = await conn.fetch(
        "SELECT id FROM media WHERE ((status_id IS NULL AND purpose = 'attachment' "
        "  AND NOT EXISTS (SELECT 1 FROM scheduled_statuses s WHERE s.account_id = media.account_id"
        "                  AND s.params -> 'media_ids' @> to_jsonb(media.id))) "
        "OR (purpose <> 'attachment' AND state = 'failed')) "
        "AND coalesce(detached_at, created_at) < now() - make_interval(secs => $1) "
        "LIMIT $2 FOR UPDATE SKIP LOCKED", older_than_s, limit)
    return [row["id"] for row in rows]


async def stuck(conn: asyncpg.Connection, older_than_s: float, limit: int
                ) -> list[asyncpg.Record]:
    """Rows still processing long after upload (their events ran out of deliveries while
    storage was away): the chore fails them, so that their owners learn and upload again."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, revision FROM media WHERE state = 'processing' "
        "AND requested_at < now() - make_interval(secs => $1) LIMIT $2 "
        "FOR UPDATE SKIP LOCKED",
        older_than_s, limit)
    return rows
