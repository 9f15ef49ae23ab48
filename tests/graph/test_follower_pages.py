"""Fanout's follower pages (``followers.page``): packed or listed, the same ids in id order."""

from __future__ import annotations

import pytest

from services.fanout import recipients
from shared import bus
from shared.contracts import graph as graph_api
from tests.helpers import Api


async def page(api: Api, **fields) -> graph_api.FollowersPageReply:
    return await bus.call(api.stack.fanout.nc, graph_api.FOLLOWERS_PAGE,
                          graph_api.FollowersPage(**fields))


def test_packed_ids_are_big_endian_64_bit() -> None:
    ids = [1, 2**40 + 7, 2**63 - 1]
    assert graph_api.pack_ids(ids) == b"".join(i.to_bytes(8, "big") for i in ids)
    assert graph_api.unpack_ids(graph_api.pack_ids(ids)) == ids
    assert graph_api.unpack_ids(b"") == []


async def test_packed_pages_hold_the_listed_ids(api: Api, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    author = await api.user()
    followers = [await api.user() for _ in range(5)]
    for follower in followers:
        await api.follow(follower, author)
    r = await api.client.post(f"/api/v1/accounts/{author.id}/follow",
                              headers=followers[1].headers, json={"reblogs": False})
    r.raise_for_status()
    await api.idle()
    every = sorted(int(f.id) for f in followers)
    account_id = int(author.id)
    for reblogs_only in (False, True):
        listed = await page(api, account_id=account_id, limit=10, reblogs_only=reblogs_only)
        packed = await page(api, account_id=account_id, limit=10, reblogs_only=reblogs_only,
                            packed=True)
        assert packed.ids == [] and packed.packed
        assert packed.follower_ids() == listed.follower_ids() == listed.ids
        expected = [i for i in every if not (reblogs_only and i == int(followers[1].id))]
        assert listed.ids == expected
    # A page after the last id is empty either way; the count comes along when asked.
    assert (await page(api, account_id=account_id, after_id=every[-1], packed=True)
            ).follower_ids() == []
    above = await page(api, account_id=account_id, unless_above=4, packed=True)
    assert above.followers_count == 5 and above.follower_ids() == []
    # Fanout's caller, page by page.
    monkeypatch.setattr(recipients, "PAGE", 2)
    first = await recipients.first_followers(api.stack.fanout.nc, account_id, 10)
    assert first == every[:2]
    pages = [p async for p in recipients.follower_pages(api.stack.fanout.nc, account_id,
                                                        first=first)]
    assert pages == [every[:2], every[2:4], every[4:]]
