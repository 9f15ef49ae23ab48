"""Attaching uploads to a status, inside the status's own transaction (PostStatus, EditStatus):
the rows are locked, checked and attached with the status row, so that a status never shows a
file that is not its author's, not processed, or attached to another status too.

Mastodon's rules: at most four files, none with a poll, each processed ("Cannot attach files
that have not finished processing"). Where Mastodon quietly drops an id that is not the
author's own unattached upload, Hubbub refuses the whole status (422, nothing written): a
client that sent it meant to attach it, and silence would post without it."""

from __future__ import annotations

import asyncpg

from services.posts.store import media as media_store
from shared import errors
from shared.contracts.posts import MediaAttribute
from shared.records import MediaRecord

MAX_ATTACHMENTS = 4
MAX_DESCRIPTION = 1500  # Mastodon's limit on a description (alt text)

TOO_MANY = f"Validation failed: Cannot attach more than {MAX_ATTACHMENTS} files"
WITH_POLL = "Validation failed: Cannot attach files to a status with a poll"
NOT_READY = ("Validation failed: Cannot attach files that have not finished processing. "
             "Try again in a moment!")
FAILED = "Validation failed: Cannot attach files that could not be processed"
NOT_YOURS = "Validation failed: media_ids names media that is not yours to attach"


def requested(ids: list[int], *, has_poll: bool) -> list[int]:
    """The ids as asked, each once, in order; 422 past the limit or with a poll (checked before
    anything else is done for the status)."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_ATTACHMENTS:
        raise errors.Invalid(TOO_MANY)
    if wanted and has_poll:
        raise errors.Invalid(WITH_POLL)
    return wanted


async def lock_attachable(conn: asyncpg.Connection, ids: list[int], account_id: int,
                          status_id: int | None = None) -> list[MediaRecord]:
    """The records of ``ids`` in order, their rows locked for the transaction, each the
    author's own processed upload, unattached or (``status_id``: an edit) on this status
    already; else 422. Call inside the transaction that attaches them."""
    if not ids:
        return []
    rows = {row["id"]: row for row in await media_store.lock_media(conn, ids)}
    for media_id in ids:
        row = rows.get(media_id)
        if (row is None or row["account_id"] != account_id or row["purpose"] != "attachment"
                or row["status_id"] not in (None, status_id)):
            raise errors.Invalid(NOT_YOURS)
        if row["state"] == "processing":
            raise errors.Invalid(NOT_READY)
        if row["state"] == "failed":
            raise errors.Invalid(FAILED)
    return [media_store.record_from_row(rows[i]) for i in ids]


def check_description(description: str | None) -> None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise errors.Invalid(f"Validation failed: description is too long (maximum is "
                             f"{MAX_DESCRIPTION} characters)",
                             {"description": [(errors.TOO_LONG, "is too long (maximum is "
                                               f"{MAX_DESCRIPTION} characters)")]})


def check_focus(focus: tuple[float, float] | None) -> None:
    if focus is not None and not all(-1.0 <= v <= 1.0 for v in focus):
        raise errors.Invalid("Validation failed: focus must be two numbers from -1 to 1",
                             {"focus": [(errors.INVALID, "is invalid")]})


async def apply_attributes(conn: asyncpg.Connection, attributes: list[MediaAttribute],
                           attached: list[int]) -> None:
    """An edit's ``media_attributes``: descriptions and focus points of the status's files
    (those of other files are refused, as ids not attached)."""
    for attribute in attributes:
        if attribute.id not in attached:
            raise errors.Invalid(NOT_YOURS)
        check_description(attribute.description)
        check_focus(attribute.focus)
    for attribute in attributes:
        await media_store.describe(conn, attribute.id, description=attribute.description,
                                   focus=attribute.focus)
