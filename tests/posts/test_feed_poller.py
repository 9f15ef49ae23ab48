"""The feed poller's promise: each entry of a feed is posted into its community exactly once,
however many posts replicas poll at once and whenever one stops, restarts or loses its lease
mid-poll (the entry's key and its status commit together, or neither does)."""

from __future__ import annotations

import asyncio

from services.posts.store import feeds as feeds_store
from shared import db
from tests.helpers import Api
from tests.helpers.feed_site import FeedSite, Item
from tests.helpers.inbound_feeds import (
    added,
    another_poller,
    community_texts,
    feed_state,
    make_due,
    owned_community,
    poller_paused,
)


def titles(texts: list[str]) -> list[str]:
    return [t.split("\n")[0] for t in texts]


async def test_two_replicas_polling_at_once_post_each_entry_once(api: Api) -> None:
    owner, community = await owned_community(api)
    pools = [await db.create_pool(api.stack.posts.settings, "posts", max_size=4)
             for _ in range(2)]
    try:
        with FeedSite() as site:
            feeds = []
            async with poller_paused(api) as stacks:
                for n in range(4):
                    site.publish(f"r{n}", *[Item(f"{n}-{i}", f"Feed {n} entry {i}")
                                            for i in range(3)])
                    feeds.append(await added(api, owner, community["id"],
                                             site.url(f"/rss/r{n}")))
                replicas = [another_poller(api, pool) for pool in pools]
                await asyncio.gather(stacks.poll_due(), *(r.poll_due() for r in replicas))
                # Each feed fetched once: one replica held it for its poll.
                assert [site.hits(f"/rss/r{n}") for n in range(4)] == [1, 1, 1, 1]
                for n in range(4):
                    site.publish(f"r{n}", Item(f"{n}-new", f"Feed {n} entry new"))
                    await make_due(api, feeds[n]["id"])
                await asyncio.gather(*(r.poll_due() for r in replicas), stacks.poll_due())
        texts = titles(await community_texts(api, community["id"]))
        assert sorted(texts) == sorted(
            [f"Feed {n} entry {i}" for n in range(4) for i in (*range(3), "new")])
    finally:
        for pool in pools:
            await pool.close()


async def test_replicas_that_fetched_the_same_answer_post_it_once(api: Api) -> None:
    """A lease that ran out mid-poll: two replicas poll one feed at once, both post."""
    owner, community = await owned_community(api)
    with FeedSite() as site:
        site.publish("same", *[Item(f"s{i}", f"Same {i}") for i in range(4)])
        async with poller_paused(api):
            feed = await added(api, owner, community["id"], site.url("/json/same"))
            async with api.stack.posts.pool.acquire() as conn:
                claimed = await feeds_store.claim_due_feed(conn, 60)
            assert claimed is not None and claimed.id == int(feed["id"])
            replicas = [another_poller(api) for _ in range(3)]
            outcomes = await asyncio.gather(*(r.poll(claimed) for r in replicas))
    assert sum(o.posted for o in outcomes) == 4
    assert sorted(titles(await community_texts(api, community["id"]))) == [
        f"Same {i}" for i in range(4)]
    assert (await feed_state(api, owner, community["id"], feed["id"]))["items_posted"] == 4


async def test_a_restarted_poller_posts_nothing_twice(api: Api) -> None:
    """The outcome of a poll lost (the process stopped after posting, before it recorded the
    answer's validators): after a restart the feed is fetched whole again, and only what is new
    is posted."""
    owner, community = await owned_community(api)
    with FeedSite() as site:
        site.publish("restart", Item("a", "Before"), Item("b", "Also before"))
        async with poller_paused(api) as poller:
            feed = await added(api, owner, community["id"], site.url("/atom/restart"))
            assert await poller.poll_due() == 2
            await api.stack.posts.pool.execute(
                "UPDATE community_feeds SET etag = NULL, last_modified = NULL, "
                "lease_until = now() + interval '1 hour' WHERE id = $1", int(feed["id"]))
            await make_due(api, feed["id"])
            # Leased by the replica that "died": nobody polls it until the lease runs out.
            assert await another_poller(api).poll_due() == 0
            await api.stack.posts.pool.execute(
                "UPDATE community_feeds SET lease_until = now() WHERE id = $1", int(feed["id"]))
            site.publish("restart", Item("c", "After"))
            # A new process's poller (the same code, its own instance) takes it from here.
            restarted = another_poller(api)
            assert await restarted.poll_due() == 1
    assert titles(await community_texts(api, community["id"])) == ["Before", "Also before",
                                                                   "After"]
