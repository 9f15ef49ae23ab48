"""The media worker: posts' own durable JetStream consumer (``posts-media``) that turns uploads
into the files Hubbub serves, and deletes the files nobody needs any more.

Why here, and why so:
- Media rows belong to posts: attachments are part of statuses, and attaching happens in the
  status's own transaction (use_cases/attach_media.py). The worker that finishes a row is the
  row owner's, so it writes ready/failed with no service in between.
- Decoding is CPU-bound and can take seconds (a 40-megapixel photo, a long GIF): it runs in a
  ProcessPoolExecutor (``HUBBUB_MEDIA_WORKERS`` processes, default 1), never on posts' event
  loop, which keeps answering status requests meanwhile. A process of its own also contains
  what a hostile file does to a decoder (memory, a crash): the pool is replaced, the file fails.
- It is a consumer of the event stream like fanout and notify: durable, explicit acks, bounded
  redelivery with backoff, shared by every posts replica.

``post.media.uploaded`` (revision r of row m):
1. m gone, or r done already (``processed_revision >= r``): nothing to do (a redelivery).
2. Get the upload from storage; process it in the pool (``process_media``, or
   ``process_avatar``/``process_header`` for profile pictures).
3. Put the processed original (re-encoded: no EXIF, no GPS) and the small preview under keys
   derived from the row (``media/<id>/<token>/original.<ext>``, ``small.<ext>``): doing it
   again writes the same keys, so a crash mid-way and a redelivery never double the files.
4. Mark the row ready (type, meta, blurhash, keys) for revision r, in one transaction.
5. Then delete the raw upload if its key is not the processed original's (only now: until the
   row is ready a redelivery needs it).
On ``MediaRejected`` (not a file Hubbub serves, too many pixels, corrupt) the row is marked
``failed`` with the reason, which ``GET /api/v1/media/:id`` answers with a 422. A storage error
is raised: the consumer naks with backoff (and holds the event through an outage of a server it
knows). Anything else the decoder raises is the file's fault: failed, never a crash.

Avatars and headers: processed the same way into ``avatars/``/``headers/`` (public keys, their
URLs unsigned), then the worker asks graph (which owns profiles) to set the profile's URL, as
``update_credentials`` does with a URL: one writer of the profile, whatever the gateway's wait
(routes/media.py waits a bounded time and shows the profile as it is then). Each account's
profile pictures are serialized by a lock: the newest upload wins even when an older one
finishes last, and the older ones are deleted once a newer one is set.

``post.media.deleted`` carries the keys of rows gone (deleted by their owner, with their status,
by the orphan chore, or replaced): their files are deleted (a file already gone is fine).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import multiprocessing
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import asyncpg
import redis.asyncio as redis
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from services.posts import status_cache, store
from services.posts.media.processing import (
    Processed,
    process_avatar,
    process_header,
    process_media,
)
from services.posts.store import media as media_store
from services.posts.use_cases.delete_media import delete_media_rows
from shared import bus, consumers, errors, events
from shared.contracts import graph as graph_api
from shared.media.limits import MediaLimits
from shared.media.storage import MediaStorage, StoredFileMissing
from shared.media.upload_check import MediaRejected
from shared.routing import EventRoutes

log = logging.getLogger(__name__)

DURABLE = "posts-media"
# A big video may take longer than the usual ack wait to process: JetStream would hand it to
# another worker meanwhile (harmless, the keys are the same, but wasted work).
ACK_WAIT_S = 300.0
# How long a stop waits for a decode in progress (its event is redelivered to the next worker).
STOP_TIMEOUT_S = 10.0
UNREADABLE = "The file could not be processed"
MISSING = "The uploaded file is missing; upload it again"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif",
              "image/avif": "avif", "video/mp4": "mp4", "video/webm": "webm",
              "audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/mp4": "m4a", "audio/wav": "wav"}
# Where processed profile pictures go: public prefixes (their URLs are not signed).
PROFILE_PREFIXES = {"avatar": "avatars", "header": "headers"}


def extension_of(content_type: str | None) -> str:
    return EXTENSIONS.get((content_type or "").lower(), "bin")


def token_of(upload_key: str) -> str:
    """``media/<id>/<token>/original.<ext>`` -> ``<token>`` (the gateway names uploads so)."""
    parts = upload_key.split("/")
    return parts[2] if len(parts) >= 4 else "x"


@dataclass
class Outcome:
    """What processing a row made: the files to put (key, bytes, content type), and the row's
    values once they are there. Keys are a function of the row and of what was made, so that
    processing again writes the very same keys."""

    files: list[tuple[str, bytes, str]]
    type: str
    content_type: str
    original_key: str
    small_key: str | None
    meta: dict[str, Any]
    blurhash: str | None


def new_executor(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    # spawn, not fork: a forked copy of an asyncio process with NATS and database threads in it
    # is not safe to run; a spawned one imports only what processing needs.
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn"))


async def stop_executor(executor: concurrent.futures.ProcessPoolExecutor, *,
                        timeout: float = STOP_TIMEOUT_S) -> None:
    """Shut the pool down, its queued files dropped; a decode still running gets ``timeout``
    seconds, then its process is ended. (A decoder stuck on a file, or a pool whose shutdown
    hangs, would otherwise hold the service's stop forever.)"""
    try:
        await asyncio.wait_for(asyncio.to_thread(executor.shutdown, wait=True,
                                                 cancel_futures=True), timeout)
    except TimeoutError:
        log.warning("media worker: a decoding process was still busy %.0f s into shutdown; "
                    "ending it", timeout)
        # (ProcessPoolExecutor can end its processes itself only from Python 3.14.)
        for process in list((executor._processes or {}).values()):
            process.terminate()


class MediaWorker:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis, nc: NATS, js: JetStreamContext,
                 storage: MediaStorage, limits: MediaLimits, *, workers: int = 1,
                 max_deliver: int = 8) -> None:
        self.pool = pool
        self.cache = cache
        self.nc = nc
        self.storage = storage
        self.limits = limits
        self.workers = max(1, workers)
        self.executor = new_executor(self.workers)
        self._stopping = False
        routes = (EventRoutes().on(events.MediaUploaded, self.process)
                  .on(events.MediaDeleted, self.delete_files))
        # Each worker process decodes one file at a time; a few more events in flight keep it
        # fed while others wait on storage or the database.
        self.consumer = consumers.EventConsumer(
            js, DURABLE, routes, filter_subjects=routes.filter_subjects(),
            max_deliver=max_deliver, concurrency=self.workers * 2, ack_wait_s=ACK_WAIT_S)

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        """Take no more events; give the decodes in progress STOP_TIMEOUT_S to finish (the
        consumer's stop waits for its handlers), then end the decoding processes: their events
        fail here, unacknowledged, and go to the next worker; their files are not refused."""
        self._stopping = True
        consumer_stopped = asyncio.ensure_future(self.consumer.stop())
        await asyncio.wait({consumer_stopped}, timeout=STOP_TIMEOUT_S)
        await stop_executor(self.executor,
                            timeout=STOP_TIMEOUT_S if consumer_stopped.done() else 0.0)
        await consumer_stopped

    # --- post.media.uploaded ---------------------------------------------------------------

    async def process(self, event: events.MediaUploaded) -> None:
        async with self.pool.acquire() as conn:
            row = await media_store.media_row(conn, event.media_id)
        if row is None or row["processed_revision"] >= event.revision:
            return  # deleted meanwhile, or done: a redelivery
        if row["revision"] > event.revision:
            return  # a later revision was asked for: its own event does the work
        try:
            outcome = await self._outcome(row)
        except StoredFileMissing:
            await self._fail(row, MISSING)
            return
        except MediaRejected as exc:
            await self._fail(row, str(exc) or UNREADABLE)
            return
        for key, data, content_type in outcome.files:
            await self.storage.put(key, data, content_type)
        written = [key for key, _, _ in outcome.files]
        if row["purpose"] == "attachment":
            done = await self._ready(row, outcome)
        else:
            done = await self._profile_ready(row, outcome)
        if done is None:
            # The row went while we worked (deleted, or replaced): what was just written is
            # nobody's.
            await self._delete_keys(written)
            return
        # The upload (and a thumbnail) as uploaded, now that the row names what was made of
        # them: a redelivery from here on finds the row done and needs neither.
        kept = {done["original_key"], done["small_key"]}
        await self._delete_keys([k for k in (row["upload_key"], row["thumbnail_key"])
                                 if k and k not in kept])

    async def _outcome(self, row: asyncpg.Record) -> Outcome:
        """What processing the row makes: the files to put, and the row's new values. Raises
        MediaRejected for a file Hubbub will not serve, StoredFileMissing when it is gone."""
        purpose = row["purpose"]
        token = token_of(row["upload_key"])
        if purpose in ("avatar", "header"):
            # Public keys: avatars/<account>/<token>.<ext> (storage's layout). A new upload
            # has a new token, so a picture's URL never names another picture.
            function = process_avatar if purpose == "avatar" else process_header
            made = await self._run(function, await self.storage.get(row["upload_key"]))
            original_key = (f"{PROFILE_PREFIXES[purpose]}/{row['account_id']}/{token}"
                            f".{made.extension}")
            return Outcome(files=[(original_key, made.original, made.content_type)],
                           type=made.kind, content_type=made.content_type,
                           original_key=original_key, small_key=None, meta=made.meta,
                           blurhash=made.blurhash)
        base = f"media/{row['id']}/{token}"
        focus = (row["focus_x"], row["focus_y"]) if row["focus_x"] is not None else None
        process = functools.partial(process_media, focus=focus)
        if row["original_key"] is None:
            made = await self._run(process, await self.storage.get(row["upload_key"]))
            original_key = f"{base}/original.{made.extension}"
            # Pictures are re-encoded (their metadata gone) and written over the upload; other
            # files are served as uploaded: already there, when the key is the same.
            unchanged = made.kind != "image" and original_key == row["upload_key"]
            outcome = Outcome(files=[] if unchanged else [(original_key, made.original,
                                                          made.content_type)],
                              type=made.kind, content_type=made.content_type,
                              original_key=original_key, small_key=None, meta=dict(made.meta),
                              blurhash=made.blurhash)
            if made.small is not None:
                outcome.small_key = f"{base}/small.{extension_of(made.small_content_type)}"
                outcome.files.append((outcome.small_key, made.small,
                                      made.small_content_type or "image/jpeg"))
        else:
            # Processed before, asked again for a new thumbnail: the original stays as made
            # (its upload is gone, and encoding it twice would only lose quality).
            outcome = Outcome(files=[], type=row["type"], content_type=row["content_type"],
                              original_key=row["original_key"], small_key=row["small_key"],
                              meta=dict(media_store.record_from_row(row).meta),
                              blurhash=row["blurhash"])
        if row["thumbnail_key"]:
            # The uploader's picture for a video or audio file: the preview is made of it.
            thumbnail = await self._run(process, await self.storage.get(row["thumbnail_key"]))
            if thumbnail.kind != "image" or thumbnail.small is None:
                raise MediaRejected("The thumbnail must be an image")
            outcome.small_key = f"{base}/small.{extension_of(thumbnail.small_content_type)}"
            outcome.files = [f for f in outcome.files if f[0] != outcome.small_key]
            outcome.files.append((outcome.small_key, thumbnail.small,
                                  thumbnail.small_content_type or "image/jpeg"))
            if "small" in thumbnail.meta:
                outcome.meta["small"] = thumbnail.meta["small"]
            outcome.blurhash = thumbnail.blurhash or outcome.blurhash
        return outcome

    async def _run(self, function: Any, data: bytes) -> Processed:
        """``function(data, limits)`` in the pool. A decoder that dies takes its process with
        it: the pool is replaced and the file tried once more before it is refused."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            executor = self.executor
            try:
                result: Processed = await loop.run_in_executor(executor, function, data,
                                                               self.limits)
                return result
            except MediaRejected:
                raise
            except BrokenProcessPool:
                if self._stopping:
                    raise  # ended by stop(): the event goes to the next worker, not refused
                if self.executor is executor:
                    log.warning("media worker: a decoding process died; starting a new pool")
                    self.executor = new_executor(self.workers)
                    executor.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise MediaRejected(UNREADABLE) from None
            except Exception as exc:  # a decoder's own error on this file: refused, logged
                log.warning("media worker: processing failed: %r", exc)
                raise MediaRejected(UNREADABLE) from exc
        raise MediaRejected(UNREADABLE)  # (not reached)

    async def _ready(self, row: asyncpg.Record, outcome: Outcome) -> asyncpg.Record | None:
        async with self.pool.acquire() as conn, conn.transaction():
            done = await self._mark_ready(conn, row, outcome)
            if done is not None and done["status_id"] is not None:
                # Processed again (a new thumbnail) while attached: the status shows it.
                await store.bump_version(conn, done["status_id"])
        if done is not None and done["status_id"] is not None:
            await status_cache.refresh(self.cache, self.pool, done["status_id"])
        return done

    async def _mark_ready(self, conn: asyncpg.Connection, row: asyncpg.Record,
                          outcome: Outcome) -> asyncpg.Record | None:
        return await media_store.mark_ready(
            conn, row["id"], row["revision"], type=outcome.type,
            content_type=outcome.content_type, original_key=outcome.original_key,
            small_key=outcome.small_key, meta=outcome.meta, blurhash=outcome.blurhash)

    async def _profile_ready(self, row: asyncpg.Record, outcome: Outcome
                             ) -> asyncpg.Record | None:
        """Set the profile's picture if this is the account's newest upload of the kind; the
        row ready, and the older uploads deleted. Serialized per account and kind (see the
        module's docstring); graph answers inside the lock, so a newer picture set meanwhile
        cannot be overwritten by this one."""
        purpose = row["purpose"]
        async with self.pool.acquire() as conn, conn.transaction():
            await media_store.lock_profile_pictures(conn, row["account_id"], purpose)
            newest = await media_store.newest_profile_picture(conn, row["account_id"], purpose)
            done = await self._mark_ready(conn, row, outcome)
            if done is None:
                return None
            if newest != row["id"]:
                await delete_media_rows(conn, [row["id"]])  # replaced before it was ready
                return done
            url = self.storage.url(outcome.original_key)
            change = (graph_api.UpdateProfile(account_id=row["account_id"], avatar_url=url)
                      if purpose == "avatar" else
                      graph_api.UpdateProfile(account_id=row["account_id"], header_url=url))
            try:
                await bus.call(self.nc, graph_api.ACCOUNT_UPDATE, change)
            except (errors.NotFound, errors.Invalid) as exc:
                # The account is gone, or graph will not take the URL: nothing to retry.
                log.warning("media worker: profile %s of %s not set: %s", purpose,
                            row["account_id"], exc.message)
            older = await media_store.older_profile_pictures(conn, row["account_id"], purpose,
                                                             row["id"])
            if older:
                await delete_media_rows(conn, older)
        return done

    async def _fail(self, row: asyncpg.Record, reason: str) -> None:
        async with self.pool.acquire() as conn:
            await media_store.mark_failed(conn, row["id"], row["revision"], reason)

    # --- deletions -------------------------------------------------------------------------

    async def delete_files(self, event: events.MediaDeleted) -> None:
        await self._delete_keys(list(event.keys))

    async def _delete_keys(self, keys: list[str]) -> None:
        for key in dict.fromkeys(keys):
            with contextlib.suppress(StoredFileMissing):
                await self.storage.delete(key)
