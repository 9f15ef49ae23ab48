"""What the API lets slip about what a reader may not see: another network's accounts (by
answers that differ from an unknown id's), hidden posts (by the Link header's ids, which are
snowflakes carrying the millisecond they were made), and whether an address has an account."""

from __future__ import annotations

import re

import httpx

from shared.ids import new_id
from tests.helpers import Api, User, other_domain, unique
from tests.helpers.communities import share_community


def link_ids(r: httpx.Response) -> set[str]:
    return set(re.findall(r"(?:max_id|min_id)=(\d+)", r.headers.get("link", "")))


def answer(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.text


async def two_networks(api: Api) -> tuple[User, User]:
    """A reader and an account of another network with which it shares no community."""
    return await api.user(domain=other_domain()), await api.user(domain=other_domain())


async def test_another_networks_statuses_answer_404_like_an_unknown_id(api: Api) -> None:
    reader, outsider = await two_networks(api)
    await api.post(outsider, "hello, my network")
    unknown = await api.client.get(f"/api/v1/accounts/{new_id()}/statuses",
                                   headers=reader.headers)
    assert unknown.status_code == 404
    r = await api.client.get(f"/api/v1/accounts/{outsider.id}/statuses", headers=reader.headers)
    assert answer(r) == answer(unknown)
    r = await api.client.get(f"/api/v1/accounts/{outsider.id}/statuses")  # anonymous
    assert answer(r) == answer(unknown)
    # Sharing a community makes the account (not its network posts) visible: 200.
    await share_community(api, outsider, reader)
    r = await api.client.get(f"/api/v1/accounts/{outsider.id}/statuses", headers=reader.headers)
    assert r.status_code == 200 and r.json() == []


async def test_private_posts_are_neither_in_a_non_followers_page_nor_in_its_link(
        api: Api) -> None:
    domain = other_domain()
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    before = await api.post(author, "for followers, oldest", visibility="private")
    public = await api.post(author, "for everyone")
    after = await api.post(author, "for followers, newest", visibility="private")
    r = await api.client.get(f"/api/v1/accounts/{author.id}/statuses", headers=reader.headers)
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()] == [public["id"]]
    assert not link_ids(r) & {before["id"], after["id"]}


async def test_link_is_built_from_the_returned_statuses_and_paging_passes_hidden_ones(
        api: Api) -> None:
    domain = other_domain()
    author, reader = await api.user(domain=domain), await api.user(domain=domain)
    older = await api.post(author, "older, public")
    hidden = [await api.post(author, f"private {i}", visibility="private") for i in range(3)]
    newer = await api.post(author, "newer, public")
    path = f"/api/v1/accounts/{author.id}/statuses"
    r = await api.client.get(path, headers=reader.headers, params={"limit": 1})
    assert [s["id"] for s in r.json()] == [newer["id"]]
    assert link_ids(r) == {newer["id"]}
    # The next page passes the hidden posts rather than coming back empty.
    r = await api.client.get(path, headers=reader.headers,
                             params={"limit": 1, "max_id": newer["id"]})
    assert [s["id"] for s in r.json()] == [older["id"]]
    assert link_ids(r) == {older["id"]}
    # And paging newer from the oldest passes them the other way.
    r = await api.client.get(path, headers=reader.headers,
                             params={"limit": 1, "min_id": older["id"]})
    assert [s["id"] for s in r.json()] == [newer["id"]]
    assert not link_ids(r) & {h["id"] for h in hidden}


async def test_favourited_by_lists_only_accounts_the_reader_may_see(api: Api) -> None:
    domain = other_domain()
    host, colleague = await api.user(domain=domain), await api.user(domain=domain)
    guest = await api.user(domain=other_domain())
    await share_community(api, host, guest)
    post = await api.post(host, f"hello @{guest.username} and all")
    for fan in (colleague, guest):
        r = await api.client.post(f"/api/v1/statuses/{post['id']}/favourite",
                                  headers=fan.headers)
        assert r.status_code == 200, r.text
    r = await api.client.get(f"/api/v1/statuses/{post['id']}/favourited_by",
                             headers=colleague.headers)
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()] == [colleague.id]  # not the guest of another network
    r = await api.client.get(f"/api/v1/statuses/{post['id']}/favourited_by",
                             headers=host.headers)
    assert [a["id"] for a in r.json()] == [guest.id, colleague.id]


async def test_community_timeline_link_names_no_hidden_post(api: Api) -> None:
    domain = other_domain()
    owner, author, reader = (await api.user(domain=domain), await api.user(domain=domain),
                             await api.user(domain=domain))
    r = await api.client.post("/api/hubbub/v1/communities", headers=owner.headers,
                              json={"name": unique("c")})
    assert r.status_code == 200, r.text
    community = r.json()["id"]
    for member in (author, reader):
        r = await api.client.post(f"/api/hubbub/v1/communities/{community}/join",
                                  headers=member.headers)
        assert r.status_code == 200, r.text
    seen = await api.post(author, "for the community", community_id=community)
    private = await api.post(author, "for my followers in it", community_id=community,
                             visibility="private")
    await api.idle()
    r = await api.client.get(f"/api/hubbub/v1/timelines/community/{community}",
                             headers=reader.headers)
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()] == [seen["id"]]
    assert link_ids(r) == {seen["id"]} and private["id"] not in link_ids(r)


async def test_relationship_actions_on_another_network_answer_404_like_an_unknown_id(
        api: Api) -> None:
    reader, outsider = await two_networks(api)
    for action in ("block", "unblock", "mute", "unmute", "remove_from_followers", "follow",
                   "unfollow"):
        unknown = await api.client.post(f"/api/v1/accounts/{new_id()}/{action}",
                                        headers=reader.headers)
        assert unknown.status_code == 404, action
        r = await api.client.post(f"/api/v1/accounts/{outsider.id}/{action}",
                                  headers=reader.headers)
        assert answer(r) == answer(unknown), action
    # Nothing was made either: the outsider is not blocked nor muted.
    pool = api.stack.graph.pool
    for table in ("blocks", "mutes"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table} WHERE account_id = $1",
                                   int(reader.id)) == 0


async def test_undoing_a_relation_works_once_the_account_is_out_of_sight(api: Api) -> None:
    """The 404 above must not trap a relation made while the accounts shared a community."""
    reader, guest = await two_networks(api)
    community = await share_community(api, reader, guest)
    for action in ("block", "mute"):
        r = await api.client.post(f"/api/v1/accounts/{guest.id}/{action}",
                                  headers=reader.headers)
        assert r.status_code == 200, r.text
    await api.stack.graph.pool.execute(
        "DELETE FROM community_members WHERE community_id = $1 AND account_id = $2",
        community, int(guest.id))
    for action, flag in (("unmute", "muting"), ("unblock", "blocking")):
        r = await api.client.post(f"/api/v1/accounts/{guest.id}/{action}",
                                  headers=reader.headers)
        assert r.status_code == 200, r.text
        assert r.json()[flag] is False
    r = await api.client.post(f"/api/v1/accounts/{guest.id}/unblock", headers=reader.headers)
    assert r.status_code == 404  # nothing left to undo: out of sight again


async def test_invitation_answers_alike_for_an_address_with_or_without_an_account(
        api: Api) -> None:
    admin = await api.user(domain=other_domain())  # first of its domain: admin
    elsewhere = await api.user(domain=other_domain())
    fresh = f"{unique()}@{other_domain()}"
    shapes = []
    for email in (elsewhere.email, fresh):
        r = await api.client.post("/api/hubbub/v1/network/invitations", headers=admin.headers,
                                  json={"email": email})
        assert r.status_code == 200, r.text
        shapes.append(sorted(r.json()))
    assert shapes[0] == shapes[1]


async def test_sign_up_with_a_taken_username_does_not_tell_whether_the_email_is_taken(
        api: Api) -> None:
    user = await api.user(domain=other_domain())
    token = await api.app_token()
    answers = []
    for email in (user.email, f"{unique()}@{user.email.split('@')[1]}"):
        r = await api.client.post("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"},
                                  json={"username": user.username, "email": email,
                                        "password": "long enough", "agreement": True})
        answers.append(answer(r))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422 and "username" in answers[0][1]
