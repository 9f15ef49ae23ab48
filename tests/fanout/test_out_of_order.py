"""Redeliveries and out-of-order events, with two fanout processes sharing the consumer: a delete
handled before its create leaves the status in no timeline, and a repeated event changes
nothing twice."""

from __future__ import annotations

from services.fanout.app import FanoutService
from shared import events
from shared.ids import new_id
from shared.records import own_key, public_key, tag_key
from tests.helpers import Api
from tests.helpers.timelines import home_zset, network_of, publish, zset


def created(author_id: int, network_id: int, status_id: int) -> events.StatusCreated:
    return events.StatusCreated(status_id=status_id, account_id=author_id,
                                network_id=network_id, visibility="public", tags=("ooo",))


def deleted(author_id: int, network_id: int, status_id: int) -> events.StatusDeleted:
    return events.StatusDeleted(status_id=status_id, account_id=author_id,
                                network_id=network_id, visibility="public", tags=("ooo",))


async def test_delete_before_create_and_redeliveries_with_two_workers(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    await api.home(reader)
    author_id, network_id = int(author.id), await network_of(api, author)
    second = FanoutService(api.stack.settings)
    await second.start(health=False)
    try:
        gone, kept, late = new_id(), new_id(), new_id()
        create = {i: created(author_id, network_id, i) for i in (gone, kept, late)}
        # `gone`: its delete comes first, its create after, then the create again.
        # `kept`: created twice (a redelivery). `late`: created, deleted, created again.
        await publish(
            api,
            (deleted(author_id, network_id, gone), f"d-{gone}"),
            (create[gone], f"c1-{gone}"),
            (create[kept], f"c1-{kept}"),
            (create[late], f"c1-{late}"),
            (create[gone], f"c2-{gone}"),
            (create[kept], f"c2-{kept}"),
        )
        await api.idle()
        assert await home_zset(api, reader) == [str(late), str(kept)]
        await publish(api, (deleted(author_id, network_id, late), f"d-{late}"),
                      (create[late], f"c2-{late}"))
        await api.idle()
    finally:
        await second.stop()
    kept_only = [str(kept)]
    assert await home_zset(api, reader) == kept_only
    assert await home_zset(api, author) == kept_only
    assert await zset(api, own_key(author_id)) == kept_only
    public = await zset(api, public_key(network_id))
    assert str(kept) in public and str(gone) not in public and str(late) not in public
    assert await zset(api, tag_key(network_id, "ooo")) == kept_only


async def test_a_posted_status_deleted_before_fanout_saw_it(api: Api) -> None:
    """The posts service's tombstone is enough: fanout needs no delete event of its own."""
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    await api.home(reader)
    status_id = new_id()
    await api.stack.admin_redis.set(f"status:{status_id}", b"", ex=60)  # as posts leaves it
    await publish(api, (created(int(author.id), await network_of(api, author), status_id),
                        f"c-{status_id}"))
    await api.idle()
    assert await home_zset(api, reader) == []
