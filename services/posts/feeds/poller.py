"""FeedPoller: each due inbound feed fetched and its new entries posted into its community by
the community's bot, each entry once, whatever the number of posts replicas and restarts.

One poll of one feed:
1. Lease it (``store.claim_due_feed``: the due feed no other replica holds, ``FOR UPDATE SKIP
   LOCKED`` to claim, a lease of LEASE_S to poll): two replicas never poll a feed at once.
2. Fetch it through the SSRF guard (shared/link_fetch.py: the operator's allow-list, each
   redirect checked, at most ``feed_max_bytes``, ``feed_timeout_s`` in all), as a conditional
   GET with the validators of the last answer. A 304 is a success that posts nothing.
3. Parse it (feeds/parse.py). On the first success only the newest FIRST_POLL_ITEMS entries are
   posted; the backlog is recorded as seen, never posted.
4. Each new entry, oldest first: prepared as any post (PostStatus.prepare: the text's checks,
   the bot still a member of the community), then in one transaction its key recorded
   (``community_feed_items``, unique per feed and key) and its status written with its outbox
   event. A key recorded already (another replica, a poll before a restart, a lease that ran
   out) rolls the transaction back: nothing is posted twice. Then the cache (``announce``).
5. The outcome stored with the lease given back: the next poll at the feed's interval, or
   after an error at the interval doubled per failure in a row (at most a day); the error's
   words kept for the admins (the list API's ``last_error``).

Nothing a feed does crashes the poller: every failure of a feed's poll is that feed's error.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import asyncpg
import httpx

from services.posts.feeds.parse import Entry, FeedError, parse, status_of
from services.posts.store import feeds as feeds_store
from services.posts.use_cases.post_status import PostStatus
from shared import errors
from shared.contracts.posts import CreateStatus
from shared.link_fetch import Answer, Guard, Refused, request
from shared.periodic import Every
from shared.settings import Settings

log = logging.getLogger(__name__)

FIRST_POLL_ITEMS = 5  # a new feed shows its latest few, not years of backlog
MAX_ITEMS_PER_POLL = 50  # a feed that floods: the newest 50, the rest recorded as seen
MAX_BACKOFF_S = 86_400.0
ROUND = 20  # feeds per round and worker at most: the next round takes the rest
CONCURRENCY = 4  # feeds polled at once by one process
USER_AGENT = "Hubbub (inbound feed)"
ACCEPT = ("application/atom+xml, application/rss+xml, application/feed+json, "
          "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1")


@dataclass(frozen=True)
class Outcome:
    posted: int
    error: str | None


def backoff_s(interval_s: float, failures: int) -> float:
    """When to try again after ``failures`` failed polls in a row."""
    doubled = interval_s * float(1 << min(max(0, failures - 1), 30))
    return min(doubled, max(MAX_BACKOFF_S, interval_s))


class FeedPoller:
    def __init__(self, pool: asyncpg.Pool, post: PostStatus, settings: Settings, *,
                 guard: Guard | None = None) -> None:
        self.pool = pool
        self.post = post
        self.settings = settings
        self.guard = guard or Guard.allowing(settings.outbound_allow)
        self.lease_s = settings.feed_timeout_s * 3 + 60
        self._every = Every(settings.feed_check_seconds, self.poll_due, "feed-poller")

    async def start(self) -> None:
        await self._every.start()

    async def stop(self) -> None:
        await self._every.stop()

    async def poll_due(self) -> int:
        """One round: the feeds due now, CONCURRENCY at a time (a feed that makes its poller
        wait its whole time limit holds up no other); how many entries were posted."""
        return sum(await asyncio.gather(*(self._poll_some() for _ in range(CONCURRENCY))))

    async def _poll_some(self) -> int:
        posted = 0
        for _ in range(ROUND):
            async with self.pool.acquire() as conn:
                feed = await feeds_store.claim_due_feed(conn, self.lease_s)
            if feed is None:
                break
            posted += (await self.poll(feed)).posted
        return posted

    async def poll(self, feed: feeds_store.ClaimedFeed) -> Outcome:
        posted = 0
        error: str | None = None
        etag = last_modified = title = None
        seeded = False
        try:
            answer = await self._fetch(feed)
            if answer is not None:  # None: 304, nothing new
                etag = answer.headers.get("etag")
                last_modified = answer.headers.get("last-modified")
                if answer.cut:
                    raise FeedError(f"the feed is larger than {self.settings.feed_max_bytes:,} "
                                    "bytes")
                parsed = parse(answer.body, dict(answer.headers))
                title = parsed.title
                posted = await self._post_new(feed, parsed.entries)
                seeded = True
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            error = f"no answer within {self.settings.feed_timeout_s:g} s"
        except Refused as exc:
            error = f"refused: {exc}"
        except FeedError as exc:
            error = str(exc)
        except httpx.HTTPError as exc:
            error = f"could not connect: {type(exc).__name__}"
        except errors.HubbubError as exc:  # the bot may no longer post there, say
            error = f"could not post: {exc}"
        except Exception as exc:  # noqa: BLE001 - a feed's poll must never stop the poller
            log.exception("feed %d: poll failed", feed.id)
            error = f"poll failed: {type(exc).__name__}"
        failures = feed.failures + 1 if error else 0
        next_in = backoff_s(feed.interval_s, failures) if error else float(feed.interval_s)
        if error:
            # The answer's validators only once all of it is posted: a poll that failed midway
            # must fetch it whole again (not get a 304), so that the rest is posted then.
            etag = last_modified = None
        async with self.pool.acquire() as conn:
            await feeds_store.polled(conn, feed.id, error=error[:500] if error else None,
                                     next_in_s=next_in, failures=failures, etag=etag,
                                     last_modified=last_modified, title=title, seeded=seeded)
        if error:
            log.info("feed %d (%s): %s", feed.id, feed.url, error)
        return Outcome(posted=posted, error=error)

    async def _fetch(self, feed: feeds_store.ClaimedFeed) -> Answer | None:
        headers = {"Accept": ACCEPT}
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
        answer = await request("GET", feed.url, guard=self.guard, headers=headers,
                               timeout_s=self.settings.feed_timeout_s,
                               max_bytes=self.settings.feed_max_bytes, user_agent=USER_AGENT)
        if answer.status == 304:
            return None
        if answer.status != 200:
            raise FeedError(f"the server answered HTTP {answer.status}")
        return answer

    async def _post_new(self, feed: feeds_store.ClaimedFeed, entries: list[Entry]) -> int:
        unique: dict[str, Entry] = {}
        for entry in entries:  # a feed listing one entry twice: its first (newest) showing
            unique.setdefault(entry.key, entry)
        async with self.pool.acquire() as conn:
            known = await feeds_store.known_keys(conn, feed.id, list(unique))
        fresh = [e for e in unique.values() if e.key not in known]
        limit = MAX_ITEMS_PER_POLL if feed.seeded else FIRST_POLL_ITEMS
        to_post, skipped = fresh[:limit], fresh[limit:]
        if skipped:
            async with self.pool.acquire() as conn:
                await feeds_store.skip_entries(conn, feed.id, [e.key for e in skipped])
        posted = 0
        for entry in reversed(to_post):  # oldest first: the timeline reads in the feed's order
            posted += await self._post_one(feed, entry)
        return posted

    async def _post_one(self, feed: feeds_store.ClaimedFeed, entry: Entry) -> int:
        text = status_of(entry, self.settings.max_status_chars)
        if not text.strip():
            async with self.pool.acquire() as conn:
                await feeds_store.skip_entries(conn, feed.id, [entry.key])
            return 0
        draft = await self.post.prepare(CreateStatus(
            account_id=feed.bot_account_id, network_id=feed.network_id, text=text,
            visibility="public", community_id=feed.community_id))
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                if not await feeds_store.take_entry(conn, feed.id, entry.key):
                    return 0  # posted already (another replica, or before a restart)
                written = await self.post.write(conn, draft)
                await feeds_store.entry_posted(conn, feed.id, entry.key, written.status.id)
        await self.post.announce(written)
        return 1
