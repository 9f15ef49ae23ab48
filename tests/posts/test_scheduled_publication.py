"""Publishing scheduled statuses as the posts service does it: once due (made due by moving its
time in the store: nobody waits five minutes), a scheduled status is posted once, as any post is
(followers' home timelines, mentions' notifications, created at publication) and leaves the
list; with several replicas at once and with crashes, each is posted exactly once and none is
lost; what the checks now refuse is dropped."""

from __future__ import annotations

import asyncio
import datetime as dt

import nats

from services.posts import store
from services.posts.use_cases.clean_media import CleanMedia
from services.posts.use_cases.post_status import PostStatus
from services.posts.use_cases.publish_due_statuses import PublishDueStatuses
from shared import db, events, subjects
from tests.helpers import Api, other_domain
from tests.helpers.media import uploaded
from tests.helpers.scheduled import (
    make_due,
    publisher_paused,
    schedule,
    scheduled_list,
    statuses_of,
    try_schedule,
)
from tests.helpers.statuses import notes


def ms(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp() * 1000


async def test_due_status_is_posted_once_to_followers_and_mentions(api: Api) -> None:
    author, follower, mentioned = await api.user(), await api.user(), await api.user()
    await api.follow(follower, author)
    async with publisher_paused(api) as publisher:
        scheduled = await schedule(api, author, f"hello @{mentioned.username} #Later",
                                   visibility="public", spoiler_text="heads up")
        await make_due(api, scheduled["id"])
        before = dt.datetime.now(dt.UTC).timestamp() * 1000
        assert await publisher.publish_due() >= 1
        assert await publisher.publish_due() == 0  # nothing twice
    await api.idle()
    assert await statuses_of(api, author) == [f"hello @{mentioned.username} #Later"]
    [posted] = (await api.home(follower)).json()
    assert posted["account"]["id"] == author.id
    assert posted["spoiler_text"] == "heads up" and posted["sensitive"] is True
    assert [t["name"] for t in posted["tags"]] == ["later"]
    assert int(posted["id"]) > int(scheduled["id"])
    assert ms(posted["created_at"]) >= before - 1000  # created at publication, not scheduling
    [mention] = await notes(api, mentioned, "mention")
    assert mention["status"]["id"] == posted["id"]
    assert await scheduled_list(api, author) == []
    r = await api.client.get(f"/api/v1/scheduled_statuses/{scheduled['id']}",
                             headers=author.headers)
    assert r.status_code == 404


async def test_scheduled_poll_and_reply_are_posted_as_scheduled(api: Api) -> None:
    author, friend = await api.user(), await api.user()
    parent = await api.post(friend, "ask me later")
    async with publisher_paused(api) as publisher:
        poll = await schedule(api, author, "which?", poll={"options": ["a", "b"],
                                                           "expires_in": 600})
        reply = await schedule(api, author, "my answer", in_reply_to_id=parent["id"])
        await make_due(api, poll["id"], reply["id"])
        assert await publisher.publish_due() == 2
    await api.idle()
    r = await api.client.get(f"/api/v1/statuses/{parent['id']}/context", headers=friend.headers)
    [posted_reply] = r.json()["descendants"]
    assert posted_reply["content"].endswith("my answer</p>")
    r = await api.client.get(f"/api/v1/statuses/{parent['id']}", headers=friend.headers)
    assert r.json()["replies_count"] == 1
    statuses = (await api.client.get(f"/api/v1/accounts/{author.id}/statuses",
                                     headers=friend.headers)).json()
    [with_poll] = [s for s in statuses if s["poll"]]
    assert [o["title"] for o in with_poll["poll"]["options"]] == ["a", "b"]


async def test_the_services_own_publisher_posts_it(api: Api) -> None:
    """No hand on the publisher: the posts service's periodic chore (every
    HUBBUB_SCHEDULED_CHECK_SECONDS, half a second in the tests) finds it."""
    author = await api.user()
    scheduled = await schedule(api, author, "on my own")
    await make_due(api, scheduled["id"])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while await scheduled_list(api, author):
        assert loop.time() < deadline, "not posted in time"
        await asyncio.sleep(0.1)
    assert await statuses_of(api, author) == ["on my own"]


async def test_refused_at_publication_is_dropped_not_posted(api: Api) -> None:
    """The world moved since scheduling: the status it replies to was deleted; its author was
    deactivated. Mastodon drops such a status; so does Hubbub."""
    domain = other_domain()
    admin, author = await api.user(domain=domain), await api.user(domain=domain)
    parent = await api.post(admin, "soon gone")
    async with publisher_paused(api) as publisher:
        reply = await schedule(api, author, "to nothing", in_reply_to_id=parent["id"])
        r = await api.client.delete(f"/api/v1/statuses/{parent['id']}", headers=admin.headers)
        assert r.status_code == 200, r.text
        plain = await schedule(api, author, "from a deactivated account")
        await make_due(api, reply["id"])
        await publisher.publish_due()
        assert await statuses_of(api, author) == []
        assert [s["id"] for s in await scheduled_list(api, author)] == [plain["id"]]

        r = await api.client.post(f"/api/hubbub/v1/network/accounts/{author.id}/deactivate",
                                  headers=admin.headers)
        assert r.status_code == 200, r.text
        await make_due(api, plain["id"])
        await publisher.publish_due()
    assert await statuses_of(api, author) == []
    count = await api.stack.posts.pool.fetchval(
        "SELECT count(*) FROM scheduled_statuses WHERE account_id = $1", int(author.id))
    assert count == 0


def another_replica(api: Api, pool, nc=None) -> PublishDueStatuses:
    """A second posts replica's publisher: its own pool (its own connections)."""
    posts = api.stack.posts
    nc = nc or posts.nc
    return PublishDueStatuses(pool, nc, PostStatus(pool, posts.redis.main, nc, posts.settings),
                              interval_s=3600)


async def test_two_replicas_at_once_post_each_due_status_once(api: Api) -> None:
    author = await api.user()
    pool = await db.create_pool(api.stack.posts.settings, "posts", max_size=4)
    try:
        other = another_replica(api, pool)
        async with publisher_paused(api) as publisher:
            made = [await schedule(api, author, f"number {i}") for i in range(8)]
            await make_due(api, *(m["id"] for m in made))
            counts = await asyncio.gather(publisher.publish_due(), other.publish_due(),
                                          publisher.publish_due(), other.publish_due())
    finally:
        await pool.close()
    assert sum(counts) == 8
    assert sorted(await statuses_of(api, author)) == sorted(f"number {i}" for i in range(8))
    assert await scheduled_list(api, author) == []
    await api.idle()
    rows = await api.stack.posts.pool.fetch(
        "SELECT payload FROM outbox WHERE subject LIKE $1 || '.%' "
        "AND created_at > now() - interval '1 minute'", subjects.event("post.status.created"))
    created = [e for e in map(events.decode, (r["payload"] for r in rows))
               if isinstance(e, events.StatusCreated) and e.account_id == int(author.id)]
    assert len(created) == 8  # one event per status: fanout and notify saw eight posts


async def test_a_crash_between_claiming_and_committing_loses_nothing(api: Api) -> None:
    author = await api.user()
    async with publisher_paused(api) as publisher:
        scheduled = await schedule(api, author, "survives a crash")
        await make_due(api, scheduled["id"])
        conn = await api.stack.posts.pool.acquire()
        try:
            crash = conn.transaction()
            await crash.start()
            claimed = await store.claim_due(conn)
            assert claimed is not None and claimed.id == int(scheduled["id"])
            assert await publisher.publish(conn, claimed) is not None  # written, not committed
            # Meanwhile another replica finds nothing to claim: the row is held.
            assert await publisher.publish_due() == 0
            await crash.rollback()  # the process died before its commit
        finally:
            await api.stack.posts.pool.release(conn)
        assert await statuses_of(api, author) == []  # the status went with the transaction
        assert [s["id"] for s in await scheduled_list(api, author)] == [scheduled["id"]]
        assert await publisher.publish_due() == 1
    assert await statuses_of(api, author) == ["survives a crash"]
    assert await scheduled_list(api, author) == []


async def test_a_passing_failure_leaves_it_for_a_later_round(api: Api) -> None:
    """A replica whose NATS connection is gone cannot check the author: the status stays,
    waiting a little before the next try, and the next round posts it."""
    author = await api.user()
    closed = nats.NATS()  # never connected: every request fails
    replica = another_replica(api, api.stack.posts.pool, closed)
    async with publisher_paused(api) as publisher:
        scheduled = await schedule(api, author, "after a hiccup")
        await make_due(api, scheduled["id"])
        assert await replica.publish_next() is False
        row = await api.stack.posts.pool.fetchrow(
            "SELECT attempts, retry_at > now() AS waiting FROM scheduled_statuses WHERE id = $1",
            int(scheduled["id"]))
        assert (row["attempts"], row["waiting"]) == (1, True)
        assert await statuses_of(api, author) == []
        assert await publisher.publish_due() == 0  # not before its retry time
        await api.stack.posts.pool.execute(
            "UPDATE scheduled_statuses SET retry_at = now() WHERE id = $1", int(scheduled["id"]))
        assert await publisher.publish_due() == 1
    assert await statuses_of(api, author) == ["after a hiccup"]



async def test_scheduled_media_wait_past_the_orphan_hours_and_are_posted_with_it(
        api: Api) -> None:
    author = await api.user()
    media_id = (await uploaded(api.client, author.headers, description="a chart"))["id"]
    await api.idle()
    pool = api.stack.posts.pool
    async with publisher_paused(api) as publisher:
        scheduled = await schedule(api, author, "the chart, tomorrow", media_ids=[media_id])
        assert scheduled["params"]["media_ids"] == [media_id]
        assert [(m["id"], m["description"]) for m in scheduled["media_attachments"]] == [
            (media_id, "a chart")]
        # Uploaded long ago and still unattached: the orphan chore spares what is scheduled.
        await pool.execute("UPDATE media SET created_at = now() - interval '25 hours' "
                           "WHERE id = $1", int(media_id))
        await CleanMedia(pool).clean()
        assert await pool.fetchval("SELECT count(*) FROM media WHERE id = $1",
                                   int(media_id)) == 1
        # Another's upload cannot be scheduled (as it cannot be posted): 422, nothing kept.
        other = await api.user()
        r = await try_schedule(api, other, "not mine", media_ids=[media_id])
        assert r.status_code == 422, r.text
        assert await scheduled_list(api, other) == []
        await make_due(api, scheduled["id"])
        assert await publisher.publish_due() == 1
    await api.idle()
    [posted] = (await api.client.get(f"/api/v1/accounts/{author.id}/statuses",
                                     headers=author.headers)).json()
    assert [m["id"] for m in posted["media_attachments"]] == [media_id]
