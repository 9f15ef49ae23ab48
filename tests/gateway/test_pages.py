"""Timeline pages spliced from cached JSON pieces (services/gateway/pages.py) and the reader's
cached facts (shared/viewer_cache.py): the same JSON as rendering from scratch, and never stale
after the reader acts."""

from __future__ import annotations

from shared import viewer_cache
from tests.helpers import Api
from tests.helpers.media import uploaded


async def _rich_home(api: Api):
    """A reader whose home holds every kind of status: plain, poll (voted), mention, spoiler,
    tag, reply, attachments, a reblog of a poll, and flags of every kind."""
    author, reblogger, reader = await api.user(), await api.user(), await api.user()
    stranger = await api.user()  # not followed: its poll reaches the reader as a reblog
    await api.follow(reader, author)
    await api.follow(reader, reblogger)
    plain = await api.post(author, "plain words")
    poll = await api.post(stranger, "pick one", poll={"options": ["red", "blue"],
                                                   "expires_in": 3600})
    await api.post(author, f"hello @{reader.username} #Launch", spoiler_text="careful")
    reply = await api.post(author, "a reply", in_reply_to_id=plain["id"])
    c = api.client
    media = await uploaded(c, author.headers, description="a picture")
    await api.idle()
    await api.post(author, "with a picture", media_ids=[media["id"]])
    for path in (f"/api/v1/statuses/{plain['id']}/favourite",
                 f"/api/v1/statuses/{plain['id']}/bookmark",
                 f"/api/v1/statuses/{reply['id']}/reblog"):
        r = await c.post(path, headers=reader.headers)
        assert r.status_code == 200, r.text
    r = await c.post(f"/api/v1/statuses/{poll['id']}/reblog", headers=reblogger.headers)
    assert r.status_code == 200, r.text
    r = await c.post(f"/api/v1/polls/{poll['poll']['id']}/votes", headers=reader.headers,
                     data={"choices[]": ["1"]})
    assert r.status_code == 200, r.text
    await api.idle()
    return author, reader, plain, poll


async def test_spliced_page_equals_the_rendered_one(api: Api) -> None:
    _, reader, plain, poll = await _rich_home(api)
    page = (await api.home(reader)).json()
    hydrator = api.stack.gateway.hydrator
    found = await hydrator.statuses([int(s["id"]) for s in page])
    rendered = await hydrator.render_statuses([found[int(s["id"])] for s in page],
                                              int(reader.id))
    assert page == rendered
    by_id = {s["id"]: s for s in page}
    assert by_id[plain["id"]]["favourited"] and by_id[plain["id"]]["bookmarked"]
    reblogged_poll = next(s for s in page if s["reblog"] and s["reblog"]["id"] == poll["id"])
    assert reblogged_poll["reblog"]["poll"]["own_votes"] == [1]
    assert len(page) == 5  # the reader's own reblog of the reply is not shown twice
    [pictured] = [s for s in page if s["media_attachments"]]
    assert pictured["media_attachments"][0]["description"] == "a picture"


async def test_flags_follow_the_reader_at_once(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    post = await api.post(author, "like me")
    await api.idle()

    async def flags() -> tuple[bool, bool, bool]:
        [shown] = [s for s in (await api.home(reader)).json() if s["id"] == post["id"]]
        return shown["favourited"], shown["bookmarked"], shown["reblogged"]

    assert await flags() == (False, False, False)  # now cached as "nothing"
    for action, expected in (("favourite", (True, False, False)),
                             ("bookmark", (True, True, False)),
                             ("unfavourite", (False, True, False)),
                             ("unbookmark", (False, False, False))):
        r = await api.client.post(f"/api/v1/statuses/{post['id']}/{action}",
                                  headers=reader.headers)
        assert r.status_code == 200
        assert await flags() == expected, action
    r = await api.client.post(f"/api/v1/statuses/{post['id']}/reblog", headers=reader.headers)
    assert await flags() == (False, False, True)
    # Deleting the reblog is undoing it.
    r2 = await api.client.delete(f"/api/v1/statuses/{r.json()['id']}", headers=reader.headers)
    assert r2.status_code == 200
    assert await flags() == (False, False, False)


async def test_mutes_and_blocks_apply_at_once_despite_the_cache(api: Api) -> None:
    """The network timeline filters the reader's hidden accounts at read time (the home
    timeline loses a muted author's posts for good, as fanout removes them)."""
    author, reader = await api.user(), await api.user()
    post = await api.post(author, "see me")
    await api.idle()

    async def shown() -> bool:
        r = await api.client.get("/api/v1/timelines/public", headers=reader.headers,
                                 params={"limit": 40})
        return any(s["id"] == post["id"] for s in r.json())

    assert await shown()  # the hidden set is now cached (empty)
    r = await api.client.post(f"/api/v1/accounts/{author.id}/mute", headers=reader.headers)
    assert r.status_code == 200
    assert not await shown()
    await api.client.post(f"/api/v1/accounts/{author.id}/unmute", headers=reader.headers)
    assert await shown()
    # The other side's block hides too: the author blocks the reader.
    assert (await api.client.post(f"/api/v1/accounts/{reader.id}/block",
                                  headers=author.headers)).status_code == 200
    assert not await shown()


async def test_a_fill_that_raced_a_change_stores_nothing(api: Api) -> None:
    r = api.stack.gateway.redis.main
    reader = 10**15 + 7
    seen = await viewer_cache.generation(r, viewer_cache.flags_key(reader))
    # A change lands between the fill's read and its store...
    await viewer_cache.forget_flags(r, reader, 42)
    await viewer_cache.fill_flags(r, reader, seen, {42: viewer_cache.Flags(favourited=True)})
    # ...so the stale answer is not kept.
    assert await r.hget(viewer_cache.flags_key(reader), "42") is None
    seen = await viewer_cache.generation(r, viewer_cache.flags_key(reader))
    await viewer_cache.fill_flags(r, reader, seen, {42: viewer_cache.Flags(favourited=True)})
    assert viewer_cache.decode_flags(await r.hget(viewer_cache.flags_key(reader), "42")) == \
        viewer_cache.Flags(favourited=True)


def test_flags_encode_and_decode() -> None:
    for flags in (viewer_cache.NO_FLAGS, viewer_cache.Flags(favourited=True, pinned=True),
                  viewer_cache.Flags(reblogged=True, bookmarked=True, poll_id=99,
                                     votes=(0, 2))):
        assert viewer_cache.decode_flags(viewer_cache.encode_flags(flags)) == flags
