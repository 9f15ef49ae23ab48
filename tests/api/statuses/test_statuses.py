"""Posting and reading statuses through the gateway; bad input leaves nothing behind."""

from __future__ import annotations

from tests.helpers import Api


async def test_form_encoded_and_json_bodies_both_post(api: Api) -> None:
    user = await api.user()
    r = await api.client.post("/api/v1/statuses", headers=user.headers,
                              data={"status": "from a form", "visibility": "unlisted"})
    assert r.status_code == 200, r.text
    assert r.json()["visibility"] == "unlisted"
    status = await api.post(user, "from JSON", sensitive=True, spoiler_text="cw")
    assert status["sensitive"] is True and status["spoiler_text"] == "cw"


async def test_content_is_escaped_html(api: Api) -> None:
    user = await api.user()
    status = await api.post(user, '<script>alert(1)</script> "quoted" & more')
    assert "<script>" not in status["content"]
    assert "&lt;script&gt;" in status["content"]


async def test_a_link_counts_as_23_characters(api: Api) -> None:
    user = await api.user()
    text = "x" * 470 + " https://example.com/" + "a" * 200
    status = await api.post(user, text)
    assert 'href="https://example.com/' in status["content"]


async def test_get_status_respects_visibility(api: Api) -> None:
    author, follower, stranger = await api.user(), await api.user(), await api.user()
    outsider = await api.user(domain="other.test")
    await api.follow(follower, author)
    public = await api.post(author, "for the network")
    private = await api.post(author, "followers only", visibility="private")
    direct = await api.post(author, f"psst @{stranger.username}", visibility="direct")

    async def visible(user, status) -> bool:
        r = await api.client.get(f"/api/v1/statuses/{status['id']}", headers=user.headers)
        assert r.status_code in (200, 404), r.text
        return r.status_code == 200

    assert [await visible(author, s) for s in (public, private, direct)] == [True] * 3
    assert [await visible(follower, s) for s in (public, private, direct)] == [True, True, False]
    assert [await visible(stranger, s) for s in (public, private, direct)] == [True, False, True]
    assert [await visible(outsider, s) for s in (public, private, direct)] == [False] * 3
    anonymous = await api.client.get(f"/api/v1/statuses/{public['id']}")
    assert anonymous.status_code == 404


async def test_reply_to_invisible_status_is_404(api: Api) -> None:
    author, stranger = await api.user(), await api.user()
    private = await api.post(author, "followers only", visibility="private")
    r = await api.client.post("/api/v1/statuses", headers=stranger.headers,
                              json={"status": "let me in", "in_reply_to_id": private["id"]})
    assert r.status_code == 404


async def test_reply_counts_and_links_parent(api: Api) -> None:
    author, replier = await api.user(), await api.user()
    parent = await api.post(author, "question?")
    reply = await api.post(replier, "answer", in_reply_to_id=parent["id"])
    assert reply["in_reply_to_id"] == parent["id"]
    assert reply["in_reply_to_account_id"] == author.id
    fetched = (await api.client.get(f"/api/v1/statuses/{parent['id']}",
                                    headers=author.headers)).json()
    assert fetched["replies_count"] == 1


async def test_a_bad_visibility_keeps_its_422_and_message(api: Api) -> None:
    """Contracts type visibility as a Literal: the gateway checks a client's value first, with
    the messages (and, for a reblog, the order of checks) the posts service had."""
    user = await api.user()
    r = await api.client.post("/api/v1/statuses", headers=user.headers,
                              json={"status": "hi", "visibility": "everyone"})
    assert (r.status_code, r.json()["error"]) == (
        422, "Validation failed: visibility must be one of public, unlisted, private, direct")
    status = await api.post(user, "to reblog")
    for visibility in ("everyone", "direct"):
        r = await api.client.post(f"/api/v1/statuses/{status['id']}/reblog",
                                  headers=user.headers, json={"visibility": visibility})
        assert (r.status_code, r.json()["error"]) == (
            422, "Validation failed: visibility must be public, unlisted or private")
    r = await api.client.post("/api/v1/statuses/999999999/reblog", headers=user.headers,
                              json={"visibility": "everyone"})
    assert r.status_code == 404, r.text
