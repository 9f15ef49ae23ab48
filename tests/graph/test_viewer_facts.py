"""What the visibility policy needs of a reader (``viewer.facts``), read in one statement."""

from __future__ import annotations

import pytest

from shared import bus, errors
from shared.contracts import graph as graph_api
from tests.helpers import Api


async def facts(api: Api, account_id: int) -> graph_api.ViewerFactsReply:
    return await bus.call(api.stack.posts.nc, graph_api.VIEWER_FACTS,
                          graph_api.ViewerFacts(account_id=account_id))


async def test_followees_blocks_either_way_and_mutes(api: Api) -> None:
    me, followed, other_followed, blocked, blocker, muted, muted_awhile, stranger = [
        await api.user() for _ in range(8)]
    for target in (followed, other_followed):
        await api.follow(me, target)
    for actor, target, path, body in (
            (me, blocked, "block", {}), (blocker, me, "block", {}),
            (me, muted, "mute", {}), (me, muted_awhile, "mute", {"duration": 3600})):
        r = await api.client.post(f"/api/v1/accounts/{target.id}/{path}",
                                  headers=actor.headers, json=body)
        assert r.status_code == 200, r.text
    got = await facts(api, int(me.id))
    assert got.account_id == int(me.id)
    assert got.network_id == (await facts(api, int(stranger.id))).network_id
    assert sorted(got.following) == sorted([int(followed.id), int(other_followed.id)])
    assert sorted(got.blocked) == sorted([int(blocked.id), int(blocker.id)])
    assert sorted(got.muted) == sorted([int(muted.id), int(muted_awhile.id)])
    assert got.mute_ends_in_s is not None and 3500 < got.mute_ends_in_s <= 3600
    assert got.communities == []
    # Someone with none of it: empty lists, no timed mute.
    bare = await facts(api, int(stranger.id))
    assert (bare.following, bare.blocked, bare.muted, bare.communities,
            bare.mute_ends_in_s) == ([], [], [], [], None)


async def test_an_unknown_account_is_not_found(api: Api) -> None:
    with pytest.raises(errors.NotFound):
        await facts(api, 2**62)
