"""Polls against the running services: created by JSON or form, voted once, validated before
anything is written, and announced once to voters and author when they end."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import Api
from tests.helpers.statuses import HOUR, get_poll, post_poll, vote


async def test_json_poll_is_created_and_readable(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    status = await post_poll(api, author)
    poll = status["poll"]
    assert [o["title"] for o in poll["options"]] == ["a", "b"]
    assert [o["votes_count"] for o in poll["options"]] == [0, 0]
    assert poll["multiple"] is False and poll["expired"] is False
    assert poll["expires_at"] > status["created_at"]
    assert poll["voted"] is False and poll["own_votes"] == []
    r = await get_poll(api, reader, poll["id"])
    assert r.status_code == 200, r.text
    assert r.json()["id"] == poll["id"]
    assert [o["title"] for o in r.json()["options"]] == ["a", "b"]


async def test_form_encoded_poll(api: Api) -> None:
    author = await api.user()
    r = await api.client.post("/api/v1/statuses", headers=author.headers, data={
        "status": "q?", "poll[options][]": ["a", "b"], "poll[expires_in]": str(HOUR),
        "poll[multiple]": "true"})
    assert r.status_code == 200, r.text
    poll = r.json()["poll"]
    assert [o["title"] for o in poll["options"]] == ["a", "b"]
    assert poll["multiple"] is True


async def test_vote_is_counted_and_shown_as_own(api: Api) -> None:
    author, voter = await api.user(), await api.user()
    status = await post_poll(api, author)
    poll_id = status["poll"]["id"]
    r = await vote(api, voter, poll_id, [1])
    assert r.status_code == 200, r.text
    poll = r.json()
    assert [o["votes_count"] for o in poll["options"]] == [0, 1]
    assert poll["votes_count"] == 1 and poll["voters_count"] == 1
    assert poll["voted"] is True and poll["own_votes"] == [1]
    mine = (await get_poll(api, voter, poll_id)).json()
    assert mine["voted"] is True and mine["own_votes"] == [1]
    theirs = (await get_poll(api, author, poll_id)).json()
    assert theirs["voted"] is False and theirs["votes_count"] == 1
    seen = (await api.client.get(f"/api/v1/statuses/{status['id']}",
                                 headers=voter.headers)).json()
    assert seen["poll"]["own_votes"] == [1] and seen["poll"]["votes_count"] == 1


async def test_form_encoded_vote(api: Api) -> None:
    author, voter = await api.user(), await api.user()
    poll_id = (await post_poll(api, author))["poll"]["id"]
    r = await api.client.post(f"/api/v1/polls/{poll_id}/votes", headers=voter.headers,
                              data={"choices[]": ["0"]})
    assert r.status_code == 200, r.text
    assert r.json()["own_votes"] == [0]


async def test_voting_twice_is_422(api: Api) -> None:
    author, voter = await api.user(), await api.user()
    poll_id = (await post_poll(api, author))["poll"]["id"]
    assert (await vote(api, voter, poll_id, [0])).status_code == 200
    r = await vote(api, voter, poll_id, [1])
    assert r.status_code == 422, r.text
    poll = (await get_poll(api, voter, poll_id)).json()
    assert [o["votes_count"] for o in poll["options"]] == [1, 0]
    assert poll["own_votes"] == [0] and poll["voters_count"] == 1


@pytest.mark.parametrize("choices", [[0, 1], [2], [-1], []])
async def test_bad_choices_are_422(api: Api, choices: list[int]) -> None:
    author, voter = await api.user(), await api.user()
    poll_id = (await post_poll(api, author))["poll"]["id"]
    r = await vote(api, voter, poll_id, choices)
    assert r.status_code == 422, r.text
    poll = (await get_poll(api, voter, poll_id)).json()
    assert poll["votes_count"] == 0 and poll["voted"] is False


async def test_multiple_choice_poll_takes_several(api: Api) -> None:
    author, voter = await api.user(), await api.user()
    poll_id = (await post_poll(api, author, ("a", "b", "c"), multiple=True))["poll"]["id"]
    r = await vote(api, voter, poll_id, [0, 1])
    assert r.status_code == 200, r.text
    poll = r.json()
    assert [o["votes_count"] for o in poll["options"]] == [1, 1, 0]
    assert poll["votes_count"] == 2 and poll["voters_count"] == 1
    assert poll["own_votes"] == [0, 1]


async def test_concurrent_votes_are_all_counted(api: Api) -> None:
    author = await api.user()
    voters = await asyncio.gather(*(api.user() for _ in range(10)))
    poll_id = (await post_poll(api, author))["poll"]["id"]
    results = await asyncio.gather(*(vote(api, v, poll_id, [i % 2])
                                     for i, v in enumerate(voters)))
    assert [r.status_code for r in results] == [200] * 10
    poll = (await get_poll(api, author, poll_id)).json()
    assert [o["votes_count"] for o in poll["options"]] == [5, 5]
    assert poll["votes_count"] == 10 and poll["voters_count"] == 10


async def test_poll_on_invisible_status_is_404(api: Api) -> None:
    author, stranger = await api.user(), await api.user()
    status = await api.post(author, "secret q?", visibility="private",
                            poll={"options": ["a", "b"], "expires_in": HOUR})
    poll_id = status["poll"]["id"]
    assert (await get_poll(api, stranger, poll_id)).status_code == 404
    assert (await vote(api, stranger, poll_id, [0])).status_code == 404
    assert (await get_poll(api, author, poll_id)).json()["votes_count"] == 0
    assert (await get_poll(api, stranger, "999999999")).status_code == 404


