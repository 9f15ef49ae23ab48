"""The posts service's NATS API: thin adapters from request Structs to use cases and reads."""

from __future__ import annotations

import time

import asyncpg
from nats.aio.client import Client as NATS

from services.posts import flag_cache, status_cache, store
from services.posts.store import activity as activity_store
from services.posts.store import media as media_store
from services.posts.store import world_feed as world_feed_store
from services.posts.use_cases import community_feeds, incoming_webhooks
from services.posts.use_cases.cancel_scheduled_status import CancelScheduledStatus
from services.posts.use_cases.delete_media import DeleteMedia
from services.posts.use_cases.delete_status import DeleteStatus
from services.posts.use_cases.edit_status import EditStatus
from services.posts.use_cases.polls import VotePoll
from services.posts.use_cases.post_status import PostStatus
from services.posts.use_cases.reactions import Reactions
from services.posts.use_cases.schedule_status import ScheduleStatus
from services.posts.use_cases.update_media import UpdateMedia
from services.posts.use_cases.update_scheduled_status import UpdateScheduledStatus
from services.posts.use_cases.upload_media import UploadMedia
from shared import errors
from shared.bounded_cache import BoundedCache
from shared.cache import CacheClient
from shared.contracts import posts as api
from shared.ids import id_at
from shared.records import StatusRecord
from shared.service_host import ServiceHost
from shared.settings import Settings

TRENDS_FRESH_S = 60.0
MAX_FEED_ENTRIES = 50  # a public feed's entries
MAX_FEED_SCOPES = 20_000  # opted-in accounts (or communities) a hashtag feed names


def register(host: ServiceHost, pool: asyncpg.Pool, cache: CacheClient, nc: NATS,
             settings: Settings, *, reads: asyncpg.Pool | None = None) -> None:
    """``reads``: a standby's pool for the aggregates below that can stand its lag (trends,
    weekly counts, activity: shared/db.py's create_read_pool), or None for the primary's."""
    reactions = Reactions(pool, cache, nc)
    lagging = reads or pool

    async def get_statuses(req: api.GetStatuses) -> api.Statuses:
        return api.Statuses(statuses=await status_cache.fill(cache, pool, req.ids[:200]))

    async def recent_by_author(req: api.RecentByAuthor) -> api.Ids:
        async with pool.acquire() as conn:
            return api.Ids(ids=await store.recent_ids_by_author(
                conn, req.account_id, min(req.limit, 800), req.include_reblogs))

    async def by_author(req: api.AuthorStatuses) -> api.Statuses:
        async with pool.acquire() as conn:
            statuses = await store.statuses_by_author(conn, req)
        return api.Statuses(statuses=statuses)

    async def recent_in_community(req: api.RecentInCommunity) -> api.Ids:
        async with pool.acquire() as conn:
            return api.Ids(ids=await store.recent_ids_in_community(
                conn, req.community_id, min(req.limit, 800), req.include_private))

    host.serve(api.STATUS_RECENT_IN_COMMUNITY, recent_in_community)

    async def home_rebuild(req: api.HomeRebuild) -> api.TimelineEntries:
        async with pool.acquire() as conn:
            direct_since = (id_at(int(time.time() * 1000) - req.direct_days * 86_400_000)
                            if req.direct_days > 0 else None)
            rows = await store.home_rebuild_entries(
                conn, req.account_id, req.followees[:20_000], req.no_reblogs[:20_000],
                req.communities[:5_000], max(1, min(req.limit, 2000)), direct_since,
                req.tags[:100], req.network_id)
        return api.TimelineEntries(
            ids=[row["id"] for row in rows],
            reblogs={row["id"]: row["reblog_of_id"] for row in rows if row["reblog_of_id"]})

    async def author_timeline(req: api.AuthorTimeline) -> api.AuthorTimelineIds:
        limit = max(1, min(req.limit, 2000))
        async with pool.acquire() as conn:
            return api.AuthorTimelineIds(
                statuses=await store.recent_ids_by_author(conn, req.account_id, limit, False),
                reblogs=await store.recent_reblog_ids_by_author(conn, req.account_id, limit))

    async def direct_page(req: api.DirectPage) -> api.DirectMessages:
        async with pool.acquire() as conn:
            rows = await store.direct_page(conn, max(0, req.after_id),
                                           max(1, min(req.limit, 5000)))
        return api.DirectMessages(messages=[
            api.DirectMessage(id=row["id"], mentions=list(row["mentions"])) for row in rows])

    # Trends are a week's aggregate that clients poll from their explore tabs: each posts
    # process keeps a network's answer for TRENDS_FRESH_S rather than scan the week per read.
    # The race: a tag used meanwhile shows up to TRENDS_FRESH_S late, never more (the TTL).
    trends_cache: BoundedCache[tuple[int, int, int], api.TagTrendList] = BoundedCache(
        10_000, ttl_s=TRENDS_FRESH_S)

    async def tag_trends(req: api.TagTrends) -> api.TagTrendList:
        key = (req.network_id, max(1, min(req.limit, 20)), max(0, req.offset))
        kept = trends_cache.get(key)
        if kept is not None:
            return kept
        async with lagging.acquire() as conn:
            found = await store.tag_trends(conn, *key, time.time())
        answer = api.TagTrendList(tags=[
            api.TagTrend(name=tag, history=[api.TagDay(day=day, uses=uses, accounts=accounts)
                                            for day, uses, accounts in history])
            for tag, history in found])
        return trends_cache.put(key, answer)

    async def tag_usage(req: api.TagUsage) -> api.TagUses:
        tags = [t.lower() for t in req.tags][:50] or None
        async with pool.acquire() as conn:
            found = await store.tag_usage(conn, req.account_id, tags, max(1, min(req.limit, 50)))
        return api.TagUses(tags=[api.TagUse(name=tag, statuses_count=n, last_status_at=last)
                                 for tag, n, last in found])

    async def weekly_statuses(req: api.WeeklyStatuses) -> api.WeekCounts:
        async with lagging.acquire() as conn:
            found = await store.weekly_statuses(conn, req.network_id, req.since_ms)
        return api.WeekCounts(weeks=[api.WeekCount(week_ms=w, count=n) for w, n in found])

    host.serve(api.TAG_TRENDS, tag_trends)
    host.serve(api.TAG_USAGE, tag_usage)
    host.serve(api.STATUS_WEEKLY, weekly_statuses)

    # Statuses and links trend the same way, cached alike (the same race, the same bound).
    status_trends_cache: BoundedCache[tuple[int, int, int], api.Ids] = BoundedCache(
        10_000, ttl_s=TRENDS_FRESH_S)
    link_trends_cache: BoundedCache[tuple[int, int, int], api.LinkTrendList] = BoundedCache(
        10_000, ttl_s=TRENDS_FRESH_S)

    async def status_trends(req: api.Trends) -> api.Ids:
        key = (req.network_id, max(1, min(req.limit, 40)), max(0, min(req.offset, 10_000)))
        kept = status_trends_cache.get(key)
        if kept is not None:
            return kept
        async with lagging.acquire() as conn:
            found = await store.status_trends(conn, *key, time.time())
        return status_trends_cache.put(key, api.Ids(ids=found))

    async def link_trends(req: api.Trends) -> api.LinkTrendList:
        key = (req.network_id, max(1, min(req.limit, 20)), max(0, min(req.offset, 10_000)))
        kept = link_trends_cache.get(key)
        if kept is not None:
            return kept
        async with lagging.acquire() as conn:
            found = await store.link_trends(conn, *key, time.time())
        answer = api.LinkTrendList(links=[
            api.LinkTrend(card=card, history=[
                api.TagDay(day=day, uses=uses, accounts=accounts)
                for day, uses, accounts in history])
            for card, history in found])
        return link_trends_cache.put(key, answer)

    async def link_timeline(req: api.LinkTimeline) -> api.Ids:
        page = req.page
        async with pool.acquire() as conn:
            return api.Ids(ids=await store.link_timeline(
                conn, req.network_id, req.url, max_id=page.max_id, since_id=page.since_id,
                min_id=page.min_id, limit=page.limit))

    host.serve(api.STATUS_TRENDS, status_trends)
    host.serve(api.LINK_TRENDS, link_trends)
    host.serve(api.LINK_TIMELINE, link_timeline)

    async def activity(req: api.ActivityQuery) -> api.Activity:
        async with lagging.acquire() as conn:
            active = await activity_store.active_ids_by_day(conn, req.network_id, req.start,
                                                            req.end)
            counted = await activity_store.interactions_by_day(conn, req.network_id,
                                                               req.start, req.end)
            langs = await activity_store.languages(conn, req.network_id, req.start, req.end)
        days = sorted(set(active) | set(counted))
        return api.Activity(days=[api.ActivityDay(day=d, active_ids=active.get(d, []),
                                                  interactions=counted.get(d, 0))
                                  for d in days], languages=langs)

    host.serve(api.ADMIN_ACTIVITY, activity)
    host.serve(api.STATUS_HOME_REBUILD, home_rebuild)
    host.serve(api.STATUS_DIRECT_PAGE, direct_page)
    host.serve(api.STATUS_AUTHOR_TIMELINE, author_timeline)

    async def world_feed(req: api.WorldFeed) -> api.Statuses:
        async with pool.acquire() as conn:
            return api.Statuses(statuses=await world_feed_store.world_feed(
                conn, req.account_ids[:MAX_FEED_SCOPES], req.community_ids[:MAX_FEED_SCOPES],
                req.tag, max(1, min(req.limit, MAX_FEED_ENTRIES))))

    host.serve(api.STATUS_WORLD_FEED, world_feed)

    async def thread(req: api.StatusAction) -> api.Thread:
        async with pool.acquire() as conn:
            if await store.status(conn, req.status_id) is None:
                raise errors.NotFound("Record not found")
            return api.Thread(ancestors=await store.ancestors(conn, req.status_id),
                              descendants=await store.descendants(conn, req.status_id))

    async def favourited_by(req: api.StatusPage) -> api.PageItems:
        async with pool.acquire() as conn:
            return api.PageItems(items=await store.favourited_by_page(conn, req.status_id,
                                                                      req.page))

    async def reblogged_by(req: api.StatusPage) -> api.PageItems:
        async with pool.acquire() as conn:
            return api.PageItems(items=await store.reblogged_by_page(conn, req.status_id,
                                                                     req.page))

    async def favourites(req: api.AccountPage) -> api.PageItems:
        async with pool.acquire() as conn:
            return api.PageItems(items=await store.favourites_page(conn, req.account_id,
                                                                   req.page))

    async def bookmarks(req: api.AccountPage) -> api.PageItems:
        async with pool.acquire() as conn:
            return api.PageItems(items=await store.bookmarks_page(conn, req.account_id,
                                                                  req.page))

    async def viewer_flags(req: api.ViewerFlagsRequest) -> api.ViewerFlags:
        found = await flag_cache.read_through(pool, cache, req.account_id, req.ids[:400])
        return api.ViewerFlags(favourited=found.favourited, reblogged=found.reblogged,
                               bookmarked=found.bookmarked, pinned=found.pinned,
                               poll_votes={poll: list(choices)
                                           for poll, choices in found.votes.values()})

    async def history(req: api.StatusAction) -> api.History:
        async with pool.acquire() as conn:
            status = await store.status(conn, req.status_id)
            if status is None:
                raise errors.NotFound("Record not found")
            earlier = await store.edits(conn, req.status_id)
        edits = earlier or [api.Edit(
            text=status.text, content_html=status.content_html,
            spoiler_text=status.spoiler_text, sensitive=status.sensitive,
            created_at=status.created_at,
            poll_options=list(status.poll.options) if status.poll else None)]
        return api.History(status=status, edits=edits)

    async def get_poll(req: api.GetPoll) -> api.PollReply:
        async with pool.acquire() as conn:
            status_id = await store.poll_status_id(conn, req.poll_id)
            status = await store.status(conn, status_id) if status_id else None
        if status is None or status.poll is None:
            raise errors.NotFound("Record not found")
        return api.PollReply(status=status, poll=status.poll)

    async def reblog(req: api.Reblog) -> StatusRecord:
        return await reactions.reblog(
            api.StatusAction(account_id=req.account_id, status_id=req.status_id,
                             network_id=req.network_id),
            req.network_id, req.visibility)

    post_status = PostStatus(pool, cache, nc, settings)
    host.serve(api.STATUS_CREATE, post_status)
    host.serve(api.STATUS_EDIT, EditStatus(pool, cache, nc, settings))
    host.serve(api.STATUS_DELETE, DeleteStatus(pool, cache))
    host.serve(api.STATUS_GET, get_statuses)
    host.serve(api.STATUS_RECENT_BY_AUTHOR, recent_by_author)
    host.serve(api.STATUS_BY_AUTHOR, by_author)
    host.serve(api.STATUS_THREAD, thread)
    host.serve(api.STATUS_HISTORY, history)
    host.serve(api.STATUS_FAVOURITED_BY, favourited_by)
    host.serve(api.STATUS_REBLOGGED_BY, reblogged_by)
    host.serve(api.STATUS_VIEWER_FLAGS, viewer_flags)
    host.serve(api.FAVOURITE_ADD, reactions.favourite)
    host.serve(api.FAVOURITE_REMOVE, reactions.unfavourite)
    host.serve(api.REBLOG_ADD, reblog)
    host.serve(api.REBLOG_REMOVE, reactions.unreblog)
    host.serve(api.BOOKMARK_ADD, reactions.bookmark)
    host.serve(api.BOOKMARK_REMOVE, reactions.unbookmark)
    host.serve(api.PIN_ADD, reactions.pin)
    host.serve(api.PIN_REMOVE, reactions.unpin)
    host.serve(api.FAVOURITES_LIST, favourites)
    host.serve(api.BOOKMARKS_LIST, bookmarks)
    async def get_media(req: api.MediaRef) -> api.MediaInfo:
        async with pool.acquire() as conn:
            row = await media_store.media_row(conn, req.media_id)
        # Another's media is not found, exactly as none: its id tells nothing.
        if row is None or row["account_id"] != req.account_id:
            raise errors.NotFound("Record not found")
        return media_store.info_from_row(row)

    host.serve(api.MEDIA_CREATE, UploadMedia(pool))
    host.serve(api.MEDIA_GET, get_media)
    host.serve(api.MEDIA_UPDATE, UpdateMedia(pool, cache))
    host.serve(api.MEDIA_DELETE, DeleteMedia(pool))
    host.serve(api.POLL_GET, get_poll)
    host.serve(api.POLL_VOTE, VotePoll(pool, cache, nc))

    async def scheduled_list(req: api.AccountPage) -> api.ScheduledStatuses:
        async with pool.acquire() as conn:
            return api.ScheduledStatuses(items=await store.scheduled_page(conn, req.account_id,
                                                                          req.page))

    async def scheduled_get(req: api.ScheduledStatusAction) -> api.ScheduledStatusRecord:
        async with pool.acquire() as conn:
            found = await store.scheduled_status(conn, req.scheduled_status_id)
        if found is None or found.account_id != req.account_id:
            raise errors.NotFound("Record not found")
        return found

    host.serve(api.SCHEDULED_STATUS_CREATE, ScheduleStatus(pool, post_status))
    host.serve(api.SCHEDULED_STATUS_LIST, scheduled_list)
    host.serve(api.SCHEDULED_STATUS_GET, scheduled_get)
    host.serve(api.SCHEDULED_STATUS_UPDATE, UpdateScheduledStatus(pool))
    host.serve(api.SCHEDULED_STATUS_CANCEL, CancelScheduledStatus(pool))

    # What flows into a community from outside: feeds (polled by feeds/poller.py) and hooks
    host.serve(api.FEED_ADD, community_feeds.AddFeed(pool, nc, settings))
    host.serve(api.FEED_LIST, community_feeds.ListFeeds(pool, nc))
    host.serve(api.FEED_REMOVE, community_feeds.RemoveFeed(pool, nc))
    host.serve(api.HOOK_CREATE, incoming_webhooks.CreateHook(pool, nc))
    host.serve(api.HOOK_LIST, incoming_webhooks.ListHooks(pool, nc))
    host.serve(api.HOOK_DELETE, incoming_webhooks.DeleteHook(pool, nc))
    host.serve(api.HOOK_POST, incoming_webhooks.PostThroughHook(pool, post_status))
