"""The cards worker: posts' durable JetStream consumer (``posts-cards``) that gives a status the
preview card of its first link (Mastodon's LinkCrawlWorker and FetchLinkCardService).

``post.status.created`` and ``post.status.updated`` (an edit may add, change or remove the link):
1. Read the live status's text (not a reblog, not a direct message; a deleted one is left
   alone); its first link (services/posts/text.py), unless it points at Hubbub itself. Direct
   messages get no card: what people send each other privately is where one-time links go
   (password resets, sign-in links, shared documents), and a server fetching one would use it
   up or tell its site about it.
2. The URL's card from ``preview_cards`` while it is fresh (CARD_TTL_S after a fetch that
   worked, FAILURE_TTL_S after one that did not): one fetch per URL for every status sharing it
   that day, and a redelivered event fetches nothing again. Otherwise fetch the page through
   the SSRF guard (shared/link_fetch.py: public addresses only, each redirect checked, 5 s in
   all, the first megabyte read), read its metadata (cards/parse.py) and keep the card.
3. In one transaction, with the status row locked: link the card if the status's first link is
   still this URL (an edit meanwhile has its own event, which does the work for its text), or
   unlink the card it no longer names; then refresh the cached status so that its JSON shows
   the card. The card's changes bump the row's version (the status cache keeps the newest).

A fetch that fails for the page's sake (refused, not HTML, a 404, too slow) is a failed card,
cached: not an error, never retried per event. A database error is raised: the consumer naks it
with backoff.

The card's image: its URL is kept, but the gateway shows ``image: null``. A reader's browser
fetching a third party's picture tells that site the reader's address and what they read;
Mastodon avoids it by downloading the image and serving its own copy. Hubbub has no such proxy
yet (media storage could hold one: a later step), and no picture is the safer default for a
company network.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import httpx
import redis.asyncio as redis
from nats.js import JetStreamContext

from services.posts import status_cache
from services.posts.cards.parse import decode, page_meta
from services.posts.store import cards as cards_store
from services.posts.text import first_link
from shared import consumers, events
from shared.link_fetch import Guard, Refused, fetch_html
from shared.records import CardRecord
from shared.routing import EventRoutes

log = logging.getLogger(__name__)

DURABLE = "posts-cards"
CARD_TTL_S = 24 * 3600.0
FAILURE_TTL_S = 3600.0
URL_CHARS = 2000  # a longer link gets no card


class CardWorker:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis, js: JetStreamContext, *,
                 guard: Guard, base_url: str, max_deliver: int = 8,
                 timeout_s: float | None = None) -> None:
        self.pool = pool
        self.cache = cache
        self.guard = guard
        self.base_url = base_url.rstrip("/").lower()
        self.timeout_s = timeout_s
        # A URL being fetched by this process: statuses sharing it wait for that one fetch.
        self._inflight: dict[str, asyncio.Future[int]] = {}
        routes = (EventRoutes()
                  .on(events.StatusCreated, self.on_created,
                      where={"kind": "status", "link": "link"})
                  .on(events.StatusUpdated, self.on_updated))
        self.consumer = consumers.EventConsumer(
            js, DURABLE, routes, filter_subjects=routes.filter_subjects(),
            max_deliver=max_deliver, concurrency=8)

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def on_created(self, event: events.StatusCreated) -> None:
        # A status without a link has no card to make: no read, no lock (most posts).
        if event.reblog_of_id is None and event.has_link:
            await self.link(event.status_id)

    async def on_updated(self, event: events.StatusUpdated) -> None:
        await self.link(event.status_id)

    def wanted(self, text: str) -> str | None:
        url = first_link(text)
        if url is None or len(url) > URL_CHARS:
            return None
        if self.base_url and (url.lower() + "/").startswith(self.base_url + "/"):
            return None  # a link to Hubbub itself (a status, a profile): nothing to preview
        return url

    async def link(self, status_id: int) -> None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT text, visibility FROM statuses WHERE id = $1 AND deleted_at IS NULL "
                "AND reblog_of_id IS NULL", status_id)
        if row is None or row["visibility"] == "direct":
            return
        url = self.wanted(row["text"])
        card_id = await self.card_id(url) if url is not None else None
        async with self.pool.acquire() as conn, conn.transaction():
            locked = await cards_store.lock_status_text(conn, status_id)
            if locked is None or self.wanted(locked["text"]) != url:
                return  # deleted, or edited meanwhile: the edit's own event links its link
            if locked["card_id"] == card_id:
                return  # as it should be (a redelivery)
            await cards_store.set_status_card(conn, status_id, card_id)
        await status_cache.refresh(self.cache, self.pool, status_id)

    async def card_id(self, url: str) -> int | None:
        """The id of the URL's ready card (fetched now if none is fresh), or None."""
        async with self.pool.acquire() as conn:
            kept = await cards_store.fresh_card(conn, url)
        if kept is None:
            running = self._inflight.get(url)
            if running is not None:
                card_id = await asyncio.shield(running)
            else:
                future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
                self._inflight[url] = future
                try:
                    card_id = await self._fetch_and_keep(url)
                    future.set_result(card_id)
                except asyncio.CancelledError:
                    future.cancel()
                    raise
                except Exception as exc:
                    future.set_exception(exc)
                    future.exception()  # retrieved: nobody else may be waiting
                    raise
                finally:
                    del self._inflight[url]
            async with self.pool.acquire() as conn:
                kept = await conn.fetchrow("SELECT * FROM preview_cards WHERE id = $1", card_id)
        return kept["id"] if kept is not None and kept["state"] == "ready" else None

    async def _fetch_and_keep(self, url: str) -> int:
        card, failure = await self.fetch(url)
        async with self.pool.acquire() as conn:
            row = await cards_store.save_card(conn, url, card, failure,
                                              CARD_TTL_S if card is not None else FAILURE_TTL_S)
        return int(row["id"])

    async def fetch(self, url: str) -> tuple[CardRecord | None, str | None]:
        """The card of the page at ``url``, or None and why not."""
        try:
            if self.timeout_s is None:
                page = await fetch_html(url, guard=self.guard)
            else:
                page = await fetch_html(url, guard=self.guard, timeout_s=self.timeout_s)
        except Refused as exc:
            return None, str(exc)[:500]
        except TimeoutError:
            return None, "timed out"
        except (httpx.HTTPError, OSError, ValueError) as exc:
            return None, f"fetch failed: {type(exc).__name__}"
        meta = page_meta(decode(page.body, page.charset))
        if not meta.title:
            return None, "the page has no title"  # Mastodon shows no card without one
        return CardRecord(url=url, title=meta.title, description=meta.description,
                          type="video" if meta.type == "video" else "link",
                          author_name=meta.author_name, author_url=meta.author_url,
                          provider_name=meta.provider_name, image_url=meta.image_url,
                          width=meta.width, height=meta.height), None
