"""A status fetched and rendered once per gateway for every streaming reader it reaches.

A post reaching 1,000 readers connected to one gateway is one Redis read (StatusFetches) and one
hydration (RenderCache), not 1,000 of each. Both live on the Gateway (``gw.status_fetches``,
``gw.render_cache``), shared by every connection of the process.

The race they close: a fanout batch hands one live message to many sessions in the same moment;
each would fetch and render it. The first one in starts the work and leaves a future in
``pending``; the others wait on that future (shielded: a reader leaving does not cancel it for
everyone). The invariant: an entry is keyed by what makes it true, a status's id for at most
``StatusFetches.TTL_S`` (a record just read is the record), a rendered status by (id, version)
(an edit is a new version, so a stale JSON is never served for it). Both drop the least recently
stored entry past their size (shared/bounded_cache.py): a status is streamed within moments of
its fetch and render, so that is the least recently used one too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, cast

import msgspec

from services.gateway.media_urls import DayTurn
from shared import errors
from shared.bounded_cache import BoundedCache
from shared.contracts import live
from shared.records import AccountRecord, StatusRecord

if TYPE_CHECKING:  # the Gateway holds these caches: a runtime import would be a cycle
    from services.gateway.context import Gateway

log = logging.getLogger(__name__)

_MISSING: Any = object()  # a cached None means "no such status": told apart from "not cached"


class RenderCache:
    """Each status version rendered once per gateway, for every connection that gets it: a
    post to 1,000 followers on one gateway is one hydration, not 1,000. Streamed statuses carry
    no reader flags (a status just posted or edited has none yet), as Mastodon streams them.
    Emptied when the UTC day turns: the JSON holds signed media URLs (media_urls.py)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: BoundedCache[tuple[int, int], str | None] = BoundedCache(size)
        self.pending: dict[tuple[int, int], asyncio.Future[str | None]] = {}
        self._day = DayTurn()

    def peek(self, status: StatusRecord) -> tuple[bool, str | None]:
        """(rendered already, its JSON): no wait."""
        if self._day.turned():
            self.entries.clear()
        key = (status.id, status.version)
        payload = self.entries.get(key, _MISSING)
        return (False, None) if payload is _MISSING else (True, cast("str | None", payload))

    async def get(self, gw: Gateway, status: StatusRecord,
                  known: dict[int, AccountRecord] | None = None) -> str | None:
        """``known``: accounts the caller read already (hydration does not read them again)."""
        if self._day.turned():
            self.entries.clear()
        key = (status.id, status.version)
        payload = self.entries.get(key, _MISSING)
        if payload is not _MISSING:  # None too: the status is gone
            return payload
        if key in self.pending:  # another connection is rendering it right now
            return await asyncio.shield(self.pending[key])
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        try:
            rendered = await gw.hydrator.render_statuses([status], known=known)
            payload = msgspec.json.encode(rendered[0]).decode() if rendered else None
            self.entries.put(key, payload)
            future.set_result(payload)
            return payload
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiting connections get it raised
            raise
        finally:
            del self.pending[key]


class StatusFetches:
    """One fetch of a just-delivered status per gateway, shared by every connection that
    receives it in the same moment (a post reaching 1,000 readers is one Redis read)."""

    TTL_S = 2.0

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: BoundedCache[int, StatusRecord | None] = BoundedCache(size,
                                                                          ttl_s=self.TTL_S)
        self.pending: dict[int, asyncio.Future[StatusRecord | None]] = {}

    def remember(self, status: StatusRecord) -> None:
        """A record known fresh (just created here): readers in the next TTL_S take it."""
        self.entries.put(status.id, status)

    def peek(self, status_id: int) -> StatusRecord | None:
        """The record fetched in the last TTL_S (None: not at hand, or no such status)."""
        return self.entries.get(status_id)

    async def get(self, gw: Gateway, status_id: int, *, fresh: bool) -> StatusRecord | None:
        if not fresh:
            cached = self.entries.get(status_id, _MISSING)
            if cached is not _MISSING:  # None too: no such status, a moment ago
                return cast("StatusRecord | None", cached)
        if status_id in self.pending and not fresh:
            return await asyncio.shield(self.pending[status_id])
        future: asyncio.Future[StatusRecord | None] = \
            asyncio.get_running_loop().create_future()
        self.pending[status_id] = future
        try:
            found = (await gw.hydrator.statuses([status_id])).get(status_id)
            self.entries.put(status_id, found)
            future.set_result(found)
            return found
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        finally:
            if self.pending.get(status_id) is future:
                del self.pending[status_id]


def with_filtered(payload: str, results: list[dict[str, Any]]) -> str:
    """A status's shared JSON with one reader's FilterResults in ``filtered`` (a reblog's too,
    as Mastodon shows them on both): made only for a reader whose filters match it."""
    shaped = msgspec.json.decode(payload)
    shaped["filtered"] = results
    if isinstance(shaped.get("reblog"), dict):
        shaped["reblog"]["filtered"] = results
    return msgspec.json.encode(shaped).decode()


async def shared_status(gw: Gateway, status_id: int, *, fresh: bool = False
                        ) -> StatusRecord | None:
    return await gw.status_fetches.get(gw, status_id, fresh=fresh)


async def rendered_once(gw: Gateway, status: StatusRecord) -> str | None:
    return await gw.render_cache.get(gw, status)


async def prepare_live(gw: Gateway, message: live.LiveMessage) -> None:
    """Before a message for many readers is handed to their sessions: its status fetched and
    rendered once, so that each session finds them at hand (StreamSession.ready) instead of
    a thousand sessions waiting on the first one's fetch."""
    if message.event != "update" or message.status_id is None:
        return
    try:
        found = await shared_status(gw, message.status_id)
        if found is not None:
            await rendered_once(gw, found)
    except errors.HubbubError as exc:  # each session tries again on its own path
        log.warning("streaming: preparing %s failed: %s", message.status_id, exc.message)


async def render_new_status(gw: Gateway, status: StatusRecord, author: AccountRecord
                            ) -> str | None:
    """A status just created through this gateway, rendered once for its author's response and
    for every local reader it is about to be streamed to: fanout's live message, moments later,
    finds the record and its JSON here (no Redis read, no second render). ``author``: the
    account as the request read it, moments before (not read again)."""
    gw.status_fetches.remember(status)
    return await gw.render_cache.get(gw, status, {author.id: author})
