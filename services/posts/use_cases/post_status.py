"""PostStatus: validate, resolve mentions, write the status (and its poll, its attachments) with
its event in one transaction. A retried request with the same Idempotency-Key returns the first
status.

Three steps, public because scheduled statuses reuse them rather than copy them: ``prepare``
(every check a post passes, and the rendering; no write), ``write`` (the one-statement insert,
on the caller's connection, so that it can share a transaction) and ``announce`` (the caches,
once the write has committed). Scheduling runs ``prepare`` alone, so that what is scheduled
would post; publishing runs all three inside the transaction that removes the scheduled row."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import msgspec
from nats.aio.client import Client as NATS

from services.posts import audience, status_cache, store
from services.posts.store import media as media_store
from services.posts.text import first_link
from services.posts.use_cases import attach_media
from services.posts.use_cases.compose import Composed, compose, validate_poll
from shared import bus, errors, events, member_index, policy, request_keys
from shared.cache import CacheClient
from shared.contracts import graph as graph_api
from shared.contracts.posts import CreateStatus
from shared.ids import new_id
from shared.records import MediaRecord, StatusRecord
from shared.settings import Settings


@dataclass(frozen=True)
class Draft:
    """A request that passed every check, rendered: what ``write`` stores."""

    req: CreateStatus
    composed: Composed
    poll_options: list[str] | None
    media_ids: list[int]  # the uploads to attach, in order
    parent: StatusRecord | None
    community_id: int | None
    hooked: bool = True  # an outgoing webhook may hear of it (StatusCreated.hooked)
    noticed: bool = True  # it may notify someone (StatusCreated.noticed)


@dataclass(frozen=True)
class Written:
    """What ``write`` stored: the new status, and the status it replies to (as ``prepare`` read
    it) with the reply count and row version the write left it with, for ``announce``."""

    status: StatusRecord
    parent: StatusRecord | None = None
    parent_replies_count: int | None = None
    parent_version: int | None = None


def marked_sensitive(req: CreateStatus) -> bool:
    """As the author said, or by a content warning; a sensitized author's media always
    (Mastodon's sensitized account)."""
    return req.sensitive or bool(req.spoiler_text) or (req.author_sensitized
                                                      and bool(req.media_ids))


def created_record(event: events.StatusCreated, composed: Composed, req: CreateStatus,
                   row: asyncpg.Record, media: list[MediaRecord] | None = None) -> StatusRecord:
    """The new row as ``store.statuses_by_ids`` would read it back (counters at zero)."""
    return StatusRecord(
        id=event.status_id, account_id=req.account_id, network_id=req.network_id,
        text=composed.body, content_html=composed.content_html, visibility=req.visibility,
        created_at=row["created_at"], spoiler_text=req.spoiler_text,
        sensitive=marked_sensitive(req), language=req.language,
        in_reply_to_id=req.in_reply_to_id, in_reply_to_account_id=event.in_reply_to_account_id,
        community_id=event.community_id, mentions=composed.mention_ids, tags=composed.tags,
        version=row["version"], poll=store.poll_from_row(row), media=tuple(media or ()),
        conversation_id=event.conversation_id)


def thread_of(parent: StatusRecord | None, status_id: int) -> int:
    """The new status's conversation (its thread's root): its parent's, or its own when it
    answers nothing. A parent from before conversations were recorded was backfilled by the
    migration; one still without (its own parent lost) starts the thread itself."""
    if parent is None:
        return status_id
    return parent.conversation_id or parent.id


SERVICE_KEY_PREFIX = "hubbub-request:"
PRUNE_KEYS_EVERY = 1_000  # statuses created between two prunes of old idempotency rows


class PostStatus:
    def __init__(self, pool: asyncpg.Pool, cache: CacheClient, nc: NATS, settings: Settings
                 ) -> None:
        self.pool = pool
        self.cache = cache
        self.nc = nc
        self.settings = settings
        self._created = 0

    async def forget_old_keys(self) -> None:
        """Idempotency rows older than a day: clients retry within minutes (Mastodon keeps
        them an hour), and the service's own keys come back within seconds."""
        async with self.pool.acquire() as conn:
            await store.forget_idempotency_keys(conn, request_keys.KEEP_HOURS)

    async def __call__(self, req: CreateStatus) -> StatusRecord:
        if req.idempotency_key:
            existing = await self.by_idempotency_key(req.account_id, req.idempotency_key)
            if existing is not None:
                return existing
        elif (request_key := request_keys.request_key()) is not None:
            # The request's own key (a retry of the gateway's call brings it again), applied
            # as a client's Idempotency-Key is: the second run's insert meets the first's row
            # and answers with its status (STATUS_CREATE dedupes itself, so the service records
            # no answer). Apart from clients' keys by its prefix.
            req = msgspec.structs.replace(req, idempotency_key=SERVICE_KEY_PREFIX + request_key)
        draft = await self.prepare(req)
        self._created += 1
        if self._created % PRUNE_KEYS_EVERY == 1:
            await self.forget_old_keys()
        try:
            async with self.pool.acquire() as conn:
                written = await self.write(conn, draft)
        except asyncpg.UniqueViolationError:
            # The same Idempotency-Key raced us and won: answer with its status.
            existing = await self.by_idempotency_key(req.account_id, req.idempotency_key)
            if existing is None:
                raise
            return existing
        await self.announce(written)
        return written.status

    async def prepare(self, req: CreateStatus) -> Draft:
        """Every check a new status passes (visibility, poll, text, mentions, the status it
        replies to, the community), and its rendering; writes nothing."""
        if req.visibility not in policy.VISIBILITIES:
            raise errors.Invalid(f"Validation failed: visibility must be one of "
                                 f"{', '.join(policy.VISIBILITIES)}")
        options = validate_poll(req.poll) if req.poll else None
        media_ids = attach_media.requested(req.media_ids, has_poll=options is not None)
        composed = await compose(self.nc, self.settings, req.text, req.spoiler_text,
                                 req.account_id,
                                 has_more=options is not None or bool(media_ids))
        parent = None
        if req.in_reply_to_id is not None:
            found = await status_cache.get(self.cache, self.pool, req.in_reply_to_id)
            parent = await audience.ensure_visible(self.nc, found, req.account_id,
                                                   network_id=req.network_id, cache=self.cache)
            if parent.reblog_of_id is not None:
                raise errors.Invalid("Validation failed: cannot reply to a reblog")
        community_id = await self._community(req, parent)
        if media_ids:  # the uploads are the author's and free (checked again as they attach)
            async with self.pool.acquire() as conn, conn.transaction():
                await attach_media.lock_attachable(conn, media_ids, req.account_id)
        hooked, noticed = await asyncio.gather(
            self._hooked(req.network_id, community_id),
            self._noticed(req, composed.mention_ids, parent, community_id))
        return Draft(req=req, composed=composed, poll_options=options, media_ids=media_ids,
                     parent=parent, community_id=community_id, hooked=hooked, noticed=noticed)

    async def write(self, conn: asyncpg.Connection, draft: Draft) -> Written:
        """The status, its poll, attachments, tags, reply count and event, on ``conn`` (in the
        caller's transaction, if any). Raises asyncpg's ``UniqueViolationError`` when the
        idempotency key was used already."""
        if not draft.media_ids:
            return await self._insert(conn, draft)  # one statement, its own transaction
        async with conn.transaction():  # (a savepoint inside the caller's transaction)
            # The uploads locked first: no other status takes them meanwhile.
            media = await attach_media.lock_attachable(conn, draft.media_ids,
                                                       draft.req.account_id)
            written = await self._insert(conn, draft, media)
            await media_store.attach(conn, written.status.id, draft.media_ids)
        return written

    async def _insert(self, conn: asyncpg.Connection, draft: Draft,
                      media: list[MediaRecord] | None = None) -> Written:
        req, composed, parent = draft.req, draft.composed, draft.parent
        status_id = new_id()
        event = events.StatusCreated(
            status_id=status_id, account_id=req.account_id, network_id=req.network_id,
            visibility=req.visibility, in_reply_to_id=req.in_reply_to_id,
            in_reply_to_account_id=parent.account_id if parent else None,
            community_id=draft.community_id, mentions=composed.mention_ids, tags=composed.tags,
            conversation_id=thread_of(parent, status_id),
            broadcast=not req.author_silenced, has_link=first_link(composed.body) is not None,
            hooked=draft.hooked, noticed=draft.noticed,
        )
        inserted = await store.insert_status(
            conn, status_id=event.status_id, account_id=req.account_id,
            network_id=req.network_id, text=composed.body,
            content_html=composed.content_html, spoiler_text=req.spoiler_text,
            sensitive=marked_sensitive(req),
            visibility=req.visibility, language=req.language,
            in_reply_to_id=req.in_reply_to_id,
            in_reply_to_account_id=event.in_reply_to_account_id,
            mentions=list(composed.mention_ids), tags=list(composed.tags),
            community_id=draft.community_id, idempotency_key=req.idempotency_key,
            poll_id=new_id() if draft.poll_options else None, poll_options=draft.poll_options,
            poll_multiple=bool(req.poll and req.poll.multiple),
            poll_expires_in_s=float(req.poll.expires_in) if req.poll else None,
            parent_id=parent.id if parent else None, event=event)
        # The row as inserted is the row as cached: no second read of what was just written.
        return Written(created_record(event, composed, req, inserted, media), parent,
                       inserted["parent_replies_count"], inserted["parent_version"])

    async def announce(self, written: Written) -> None:
        """After the write committed: the new status into the cache, and its parent's reply
        count there (from what the write returned: status_cache.counted)."""
        status, parent = written.status, written.parent
        await status_cache.put(self.cache, [status])
        if parent is not None and written.parent_replies_count is not None:
            await status_cache.counted(self.cache, self.pool, parent, written.parent_version,
                                       replies_count=written.parent_replies_count)
        elif status.in_reply_to_id is not None:
            await status_cache.refresh(self.cache, self.pool, status.in_reply_to_id)

    async def _hooked(self, network_id: int, community_id: int | None) -> bool:
        """Whether a webhook may listen where the status goes: false only when notify's index
        of those places is complete and holds neither its network nor its community."""
        return await member_index.may_hold_any(
            self.cache, member_index.HOOKED, member_index.hook_scopes(network_id, community_id))

    async def _noticed(self, req: CreateStatus, mention_ids: Sequence[int],
                       parent: StatusRecord | None, community_id: int | None) -> bool:
        """Whether notify may have someone to tell (its ``status_created``): false only for a
        status that mentions no one, answers no one else, is in no community, and whose
        author no follower rang the bell for (graph's index of those, when complete)."""
        if mention_ids or community_id is not None:
            return True
        if parent is not None and parent.account_id != req.account_id:
            return True
        if req.visibility == policy.DIRECT:
            return False  # (direct: the mentioned alone are told, and there are none)
        return await member_index.may_hold(self.cache, member_index.BELLED, req.account_id)

    async def _community(self, req: CreateStatus, parent: StatusRecord | None) -> int | None:
        """The community the status goes into: a reply stays in its parent's. The author must be
        a member (guests included): graph answers 404 for a community the author cannot see and
        403 for one it is not a member of."""
        community_id = req.community_id
        if parent is not None and parent.community_id is not None:
            if community_id is not None and community_id != parent.community_id:
                raise errors.Invalid("Validation failed: a reply stays in the community of the "
                                     "status it replies to")
            community_id = parent.community_id
        if community_id is not None:
            await bus.call(self.nc, graph_api.COMMUNITY_CAN_POST,
                           graph_api.CanPost(account_id=req.account_id,
                                             community_id=community_id))
        return community_id

    async def by_idempotency_key(self, account_id: int, key: str | None) -> StatusRecord | None:
        async with self.pool.acquire() as conn:
            status_id = await store.status_id_by_idempotency_key(conn, account_id, key)
            if status_id is None:
                return None
            return await store.status(conn, status_id)
