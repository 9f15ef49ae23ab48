"""PostStatus caches the new status from what its INSERT returned, without reading the row back:
the cached record must be exactly the row as any later read would see it."""

from __future__ import annotations

from services.posts import store
from shared.records import status_key, unpack_cached_status
from tests.helpers import Api


async def cached_and_stored(api: Api, status_id: str):
    posts = api.stack.posts
    raw = await posts.redis.main.get(status_key(int(status_id)))
    async with posts.pool.acquire() as conn:
        stored = await store.status(conn, int(status_id))
    return unpack_cached_status(raw), stored


async def test_created_status_is_cached_as_stored(api: Api) -> None:
    author, friend = await api.user(), await api.user()
    plain = await api.post(author, "just words")
    rich = await api.post(author, f"hello @{friend.username} #Tagged", spoiler_text="cw",
                          language="en", visibility="unlisted")
    reply = await api.post(friend, "a reply", in_reply_to_id=plain["id"])
    poll = await api.post(author, "choose", poll={"options": ["a", "b"], "expires_in": 600,
                                                  "multiple": True})
    for status in (rich, reply, poll):
        cached, stored = await cached_and_stored(api, status["id"])
        assert cached == stored
        assert cached.mentions or cached.poll or cached.in_reply_to_id or cached.tags
