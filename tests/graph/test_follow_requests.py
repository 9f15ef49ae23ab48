"""Follow requests to a locked account, accepted or rejected: the account is locked in the graph's
store (tests.helpers.relations.lock)."""

from __future__ import annotations

from tests.helpers import Api
from tests.helpers.relations import lock, note_types, rel


async def test_locked_account_gets_a_follow_request(api: Api) -> None:
    owner, asker = await api.user(), await api.user()
    await lock(api, owner)
    result = await api.follow(asker, owner)
    assert (result["following"], result["requested"]) == (False, True)
    await api.idle()
    assert await note_types(api, owner) == ["follow_request"]
    listed = (await api.client.get("/api/v1/follow_requests", headers=owner.headers)).json()
    assert [a["id"] for a in listed] == [asker.id]
    assert (await rel(api, owner, asker))["requested_by"] is True

    r = await api.client.post(f"/api/v1/follow_requests/{asker.id}/authorize",
                              headers=owner.headers)
    assert r.status_code == 200 and r.json()["followed_by"] is True
    assert (await rel(api, asker, owner))["following"] is True
    assert (await api.client.get("/api/v1/follow_requests", headers=owner.headers)).json() == []
    again = await api.client.post(f"/api/v1/follow_requests/{asker.id}/authorize",
                                  headers=owner.headers)
    assert again.status_code == 404


async def test_rejected_request_makes_no_follow(api: Api) -> None:
    owner, asker = await api.user(), await api.user()
    await lock(api, owner)
    await api.follow(asker, owner)
    r = await api.client.post(f"/api/v1/follow_requests/{asker.id}/reject", headers=owner.headers)
    assert r.status_code == 200
    state = await rel(api, asker, owner)
    assert (state["following"], state["requested"]) == (False, False)
