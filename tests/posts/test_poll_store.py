"""Polls as the posts service stores them: an invalid poll writes nothing, an ended poll notifies
once (the test ends it in the store)."""

from __future__ import annotations

import pytest

from tests.helpers import Api, User
from tests.helpers.statuses import HOUR, get_poll, post_poll, vote


async def poll_notes(api: Api, user: User) -> list[dict]:
    r = await api.client.get("/api/v1/notifications", headers=user.headers,
                             params={"types[]": "poll"})
    assert r.status_code == 200, r.text
    return r.json()


async def status_count(api: Api, user: User) -> int:
    return await api.stack.posts.pool.fetchval(
        "SELECT count(*) FROM statuses WHERE account_id = $1", int(user.id))


def closer_of(api: Api):
    [closer] = [s for s in api.stack.posts._stoppables if type(s).__name__ == "ClosePolls"]
    return closer


@pytest.mark.parametrize("poll", [
    {"options": ["only"], "expires_in": HOUR},
    {"options": ["a", "b", "c", "d", "e"], "expires_in": HOUR},
    {"options": ["a", ""], "expires_in": HOUR},
    {"options": ["a", "   "], "expires_in": HOUR},
    {"options": ["same", "same"], "expires_in": HOUR},
    {"options": ["a", "x" * 51], "expires_in": HOUR},
    {"options": ["a", "b"], "expires_in": 10},
    {"options": ["a", "b"]},
], ids=["one-option", "five-options", "empty-option", "blank-option", "duplicates",
        "long-option", "expires-in-10", "no-expiry"])
async def test_invalid_poll_is_422_and_writes_nothing(api: Api, poll: dict) -> None:
    author = await api.user()
    r = await api.client.post("/api/v1/statuses", headers=author.headers,
                              json={"status": "q?", "poll": poll})
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["error"], str)
    assert await status_count(api, author) == 0
    count = await api.stack.posts.pool.fetchval(
        "SELECT count(*) FROM polls p JOIN statuses s ON s.id = p.status_id "
        "WHERE s.account_id = $1", int(author.id))
    assert count == 0


async def test_ended_poll_notifies_voter_and_author_once(api: Api) -> None:
    author, voter, bystander = await api.user(), await api.user(), await api.user()
    status = await post_poll(api, author)
    poll_id = status["poll"]["id"]
    assert (await vote(api, voter, poll_id, [0])).status_code == 200
    await api.stack.posts.pool.execute(
        "UPDATE polls SET expires_at = now() - interval '1 second' WHERE id = $1", int(poll_id))
    closer = closer_of(api)
    await closer.close_due()
    await api.idle()
    for user in (voter, author):
        found = await poll_notes(api, user)
        assert [(n["status"]["id"], n["account"]["id"]) for n in found] == [
            (status["id"], author.id)], user
    assert await poll_notes(api, bystander) == []
    poll = (await get_poll(api, voter, poll_id)).json()
    assert poll["expired"] is True
    r = await vote(api, bystander, poll_id, [1])
    assert r.status_code == 422, r.text  # too late

    await closer.close_due()  # again: the poll was announced already
    await api.idle()
    assert len(await poll_notes(api, voter)) == 1
    assert len(await poll_notes(api, author)) == 1
