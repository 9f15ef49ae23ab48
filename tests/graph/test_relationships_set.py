"""``relationships`` answers for many ids in one query: the same Relationship values, in the
same order, as asking ``relationship`` once per id."""

from __future__ import annotations

from services.graph import store
from shared.contracts.graph import Relationship
from tests.helpers import Api
from tests.helpers.relations import lock


async def test_set_based_relationships_equal_one_per_id(api: Api) -> None:
    me = await api.user()
    (followed, quiet_follow, follower, friend, asked, asker, blocked, blocker, muted,
     muted_quietly, expired_mute, stranger) = [await api.user() for _ in range(12)]
    post = api.client.post

    await api.follow(me, followed)
    await post(f"/api/v1/accounts/{quiet_follow.id}/follow", headers=me.headers,
               json={"reblogs": False, "notify": True})
    await api.follow(follower, me)
    await api.follow(me, friend)
    await api.follow(friend, me)
    await lock(api, asked)
    await api.follow(me, asked)  # a request
    await lock(api, me)
    await api.follow(asker, me)  # a request to me
    await post(f"/api/v1/accounts/{blocked.id}/block", headers=me.headers)
    await post(f"/api/v1/accounts/{me.id}/block", headers=blocker.headers)
    await post(f"/api/v1/accounts/{muted.id}/mute", headers=me.headers)
    await post(f"/api/v1/accounts/{muted_quietly.id}/mute", headers=me.headers,
               json={"notifications": False})
    await post(f"/api/v1/accounts/{expired_mute.id}/mute", headers=me.headers)
    await api.stack.graph.pool.execute(
        "UPDATE mutes SET expires_at = now() - interval '1 minute' "
        "WHERE account_id = $1 AND target_id = $2", int(me.id), int(expired_mute.id))

    others = [followed, quiet_follow, follower, friend, asked, asker, blocked, blocker, muted,
              muted_quietly, expired_mute, stranger]
    # Repeated ids, the reader itself and an id of no account answer too, in place.
    ids = [int(u.id) for u in others] + [int(followed.id), int(me.id), 1, int(blocker.id)]
    async with api.stack.graph.pool.acquire() as conn:
        together = await store.relationships(conn, int(me.id), ids)
        one_by_one = [await store.relationship(conn, int(me.id), i) for i in ids]
    assert together == one_by_one

    by_id = {r.id: r for r in together}
    assert [r.id for r in together] == ids
    assert by_id[int(followed.id)].following and by_id[int(followed.id)].showing_reblogs
    quiet = by_id[int(quiet_follow.id)]
    assert (quiet.following, quiet.showing_reblogs, quiet.notifying) == (True, False, True)
    assert by_id[int(follower.id)].followed_by and not by_id[int(follower.id)].following
    assert by_id[int(friend.id)].following and by_id[int(friend.id)].followed_by
    assert by_id[int(asked.id)].requested and not by_id[int(asked.id)].following
    assert by_id[int(asker.id)].requested_by
    assert by_id[int(blocked.id)].blocking and by_id[int(blocker.id)].blocked_by
    assert by_id[int(muted.id)].muting and by_id[int(muted.id)].muting_notifications
    assert by_id[int(muted_quietly.id)].muting
    assert not by_id[int(muted_quietly.id)].muting_notifications
    assert not by_id[int(expired_mute.id)].muting
    assert by_id[int(stranger.id)] == Relationship(id=int(stranger.id))
