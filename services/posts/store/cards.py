"""SQL for link preview cards: one row per URL, and the statuses they are linked to."""

from __future__ import annotations

import asyncpg
import msgspec

from shared.ids import new_id
from shared.records import CardRecord

# A status's card, for STATUS_SELECT (the card of a failed fetch is no card).
STATUS_CARD_SQL = """
(SELECT jsonb_build_object(
    'url', c.url, 'title', c.title, 'description', c.description, 'type', c.type,
    'author_name', c.author_name, 'author_url', c.author_url,
    'provider_name', c.provider_name, 'image_url', c.image_url, 'width', c.width,
    'height', c.height)::text
 FROM preview_cards c WHERE c.id = s.card_id AND c.state = 'ready') AS card
"""

_card = msgspec.json.Decoder(CardRecord)


def card_from(value: str | None) -> CardRecord | None:
    """A status row's ``card`` column (STATUS_CARD_SQL)."""
    return _card.decode(value) if value else None


def record_from_row(row: asyncpg.Record) -> CardRecord:
    return CardRecord(url=row["url"], title=row["title"], description=row["description"],
                      type=row["type"], author_name=row["author_name"],
                      author_url=row["author_url"], provider_name=row["provider_name"],
                      image_url=row["image_url"], width=row["width"], height=row["height"])


async def fresh_card(conn: asyncpg.Connection, url: str) -> asyncpg.Record | None:
    """The URL's card (ready or failed) unless it has expired."""
    return await conn.fetchrow(
        "SELECT * FROM preview_cards WHERE md5(url) = md5($1) AND url = $1 "
        "AND expires_at > now()", url)


async def save_card(conn: asyncpg.Connection, url: str, card: CardRecord | None,
                    failure: str | None, keep_s: float) -> asyncpg.Record:
    """The URL's card as just fetched (``card`` None: the fetch failed, ``failure`` says why),
    kept ``keep_s`` seconds; the row's id stays the same across fetches."""
    if card is None:
        # A page that worked before and fails now (down for a while): its card stays as it
        # was, the statuses linked to it keep showing it, and it is tried again later.
        kept = await conn.fetchrow(
            "UPDATE preview_cards SET failure = $2, expires_at = now() + "
            "make_interval(secs => $3) WHERE md5(url) = md5($1) AND url = $1 "
            "AND state = 'ready' RETURNING *", url, failure, keep_s)
        if kept is not None:
            return kept
    c = card or CardRecord(url=url)
    row = await conn.fetchrow(
        """
        INSERT INTO preview_cards (id, url, state, type, title, description, author_name,
            author_url, provider_name, image_url, width, height, failure, fetched_at,
            expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now(),
                now() + make_interval(secs => $14))
        ON CONFLICT ((md5(url))) DO UPDATE SET state = EXCLUDED.state, type = EXCLUDED.type,
            title = EXCLUDED.title, description = EXCLUDED.description,
            author_name = EXCLUDED.author_name, author_url = EXCLUDED.author_url,
            provider_name = EXCLUDED.provider_name, image_url = EXCLUDED.image_url,
            width = EXCLUDED.width, height = EXCLUDED.height, failure = EXCLUDED.failure,
            fetched_at = now(), expires_at = EXCLUDED.expires_at
        RETURNING *
        """, new_id(), url, "ready" if card is not None else "failed", c.type, c.title,
        c.description, c.author_name, c.author_url, c.provider_name, c.image_url, c.width,
        c.height, failure, keep_s)
    assert row is not None
    return row


async def lock_status_text(conn: asyncpg.Connection, status_id: int) -> asyncpg.Record | None:
    """The live status's text and card, locked until the transaction ends (an edit waits)."""
    return await conn.fetchrow(
        "SELECT text, card_id FROM statuses WHERE id = $1 AND deleted_at IS NULL "
        "AND reblog_of_id IS NULL FOR UPDATE", status_id)


async def set_status_card(conn: asyncpg.Connection, status_id: int, card_id: int | None) -> None:
    await conn.execute("UPDATE statuses SET card_id = $2 WHERE id = $1", status_id, card_id)


async def card_by_url(conn: asyncpg.Connection, url: str) -> asyncpg.Record | None:
    """The URL's ready card, expired or not (what trends and the link timeline show)."""
    return await conn.fetchrow(
        "SELECT * FROM preview_cards WHERE md5(url) = md5($1) AND url = $1 "
        "AND state = 'ready'", url)
