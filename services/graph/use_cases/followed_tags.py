"""FollowTag and UnfollowTag: hashtags whose public posts (in the follower's network) fanout
adds to the follower's home timeline; fanout asks ``tag.follower_ids`` for each post."""

from __future__ import annotations

import re

import asyncpg

from services.graph import store
from shared import errors, events, member_index, outbox
from shared.contracts.graph import Tag, TagAction
from shared.ids import new_id

# What the posts service recognises as a hashtag (services/posts/text.py): Unicode word
# characters, not only digits. A tag nobody could write would be followed for nothing.
TAG = re.compile(r"^\w{1,100}$", re.UNICODE)


def normalize_tag(raw: str) -> str:
    name = raw.strip().removeprefix("#")
    if not TAG.match(name) or name.isdigit():
        raise errors.Invalid("Validation failed: name must be letters, digits or underscores "
                             "(up to 100), not only digits")
    return name.lower()


async def keep_followed_tags_index(pool: asyncpg.Pool, cache: member_index.Commands
                                   ) -> int | None:
    """Fill fanout's index of followed hashtags when it is not complete
    (shared/member_index.py); how many it added (None: it was)."""
    return await member_index.keep(cache, member_index.FOLLOWED_TAGS, pool,
                                   store.all_followed_tags)


class FollowTag:
    def __init__(self, pool: asyncpg.Pool, cache: member_index.Commands) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: TagAction) -> Tag:
        name = normalize_tag(req.tag)
        if req.account_id is None:
            raise errors.Unauthorized("This method requires an authenticated user")
        account_id = req.account_id
        # Into fanout's index before the follow commits, and again after (member_index.py).
        async with (member_index.noting(self.cache, member_index.FOLLOWED_TAGS, [name]),
                    self.pool.acquire() as conn, conn.transaction()):
            follow_id = new_id()
            if await store.follow_tag(conn, account_id, name, follow_id):
                await outbox.add(conn, "graph", events.TagFollowed(account_id=account_id,
                                                                   tag=name))
            else:
                existing = await store.followed_tag_id(conn, account_id, name)
                return Tag(name=name, following=True, id=existing)
        return Tag(name=name, following=True, id=follow_id)


class UnfollowTag:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: TagAction) -> Tag:
        # No event: posts already delivered stay in the timeline, as in Mastodon; fanout reads
        # the followers afresh for every new post.
        name = normalize_tag(req.tag)
        if req.account_id is None:
            raise errors.Unauthorized("This method requires an authenticated user")
        async with self.pool.acquire() as conn:
            await store.unfollow_tag(conn, req.account_id, name)
        return Tag(name=name, following=False)
