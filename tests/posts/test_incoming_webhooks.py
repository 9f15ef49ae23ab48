"""Incoming webhooks: a community's admin makes a secret URL (shown once); a partner's tool POSTs
``{"text": ...}`` to it with no other credential and the community's bot posts the text. Each
refusal: an unknown or deleted token 401, a body past 16 KB 413, no usable text 422, a text past
the status limit 422, past the hook's rate 429 with Retry-After; managing hooks is for the
community's owner and admins."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from shared import bus, errors
from shared.contracts import graph as graph_api
from tests.helpers import Api, User, second_gateway
from tests.helpers.communities import join
from tests.helpers.inbound_feeds import BASE, community_texts, owned_community


async def make_hook(api: Api, user: User, community_id: str, name: str = "CI"
                    ) -> httpx.Response:
    return await api.client.post(f"{BASE}/{community_id}/incoming_webhooks",
                                 headers=user.headers, json={"name": name})


async def hook_of(api: Api, user: User, community_id: str) -> dict[str, Any]:
    r = await make_hook(api, user, community_id)
    assert r.status_code == 200, r.text
    return r.json()


def path_of(hook: dict[str, Any]) -> str:
    return urlsplit(hook["url"]).path


async def test_a_partner_posts_through_the_hook_as_the_communitys_bot(api: Api) -> None:
    owner, community = await owned_community(api)
    hook = await hook_of(api, owner, community["id"])
    assert hook["url"] == f"{api.stack.base_url}/api/hubbub/v1/hooks/{hook['token']}"
    assert hook["token_prefix"] == hook["token"][:6] and hook["name"] == "CI"
    r = await api.client.post(path_of(hook), json={
        "text": "Build #12 passed <b>bold</b> & see https://ci.example.test/12 #release",
        "username": "ci-bot", "icon_url": "http://x.test/i.png", "attachments": []})
    assert r.status_code == 200, r.text
    assert r.json()["community_id"] == community["id"]
    assert await community_texts(api, community["id"]) == [
        "Build #12 passed <b>bold</b> & see https://ci.example.test/12 #release"]
    await api.idle()
    r = await api.client.get(f"/api/hubbub/v1/timelines/community/{community['id']}",
                             headers=owner.headers)
    [status] = r.json()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; see" in status["content"]
    assert "<b>" not in status["content"] and 'class="mention hashtag"' in status["content"]
    assert status["account"]["bot"] is True
    assert status["account"]["display_name"] == f"{community['name']} bot"
    # Listed without its secret; its last use shown.
    r = await api.client.get(f"{BASE}/{community['id']}/incoming_webhooks",
                             headers=owner.headers)
    [listed] = r.json()
    assert listed["id"] == hook["id"] and listed["token_prefix"] == hook["token_prefix"]
    assert "token" not in listed and "url" not in listed and listed["last_used_at"]
    assert hook["token"] not in r.text
    # Stored hashed: the token itself is nowhere in the database.
    stored = await api.stack.posts.pool.fetchrow(
        "SELECT * FROM incoming_webhooks WHERE id = $1", int(hook["id"]))
    assert hook["token"] not in str(dict(stored))


async def test_a_feed_and_a_hook_share_the_one_bot(api: Api) -> None:
    owner, community = await owned_community(api)
    first = await hook_of(api, owner, community["id"])
    second = await hook_of(api, owner, community["id"])
    for hook in (first, second):
        r = await api.client.post(path_of(hook), json={"text": f"from {hook['id']}"})
        assert r.status_code == 200, r.text
    authors = await api.stack.posts.pool.fetch(
        "SELECT DISTINCT account_id FROM statuses WHERE community_id = $1",
        int(community["id"]))
    assert len(authors) == 1


async def test_the_bot_cannot_sign_in(api: Api) -> None:
    owner, community = await owned_community(api)
    await hook_of(api, owner, community["id"])
    row = await api.stack.graph.pool.fetchrow(
        "SELECT a.username, a.email, a.password_hash, a.bot, a.discoverable FROM accounts a "
        "JOIN communities c ON c.bot_account_id = a.id WHERE c.id = $1", int(community["id"]))
    assert row["bot"] is True and row["discoverable"] is False
    # Graph's password check itself (what the password grant and the sign-in form ask).
    for login in (row["username"], row["email"]):
        for password in ("!", "", row["password_hash"]):
            with pytest.raises(errors.Unauthorized):
                await bus.call(api.stack.nc, graph_api.ACCOUNT_AUTHENTICATE,
                               graph_api.Authenticate(login=login, password=password))


async def test_an_unknown_or_deleted_token_is_401(api: Api) -> None:
    owner, community = await owned_community(api)
    hook = await hook_of(api, owner, community["id"])
    wrong = hook["token"][:-1] + ("A" if hook["token"][-1] != "A" else "B")
    for path in (f"/api/hubbub/v1/hooks/{wrong}", "/api/hubbub/v1/hooks/x",
                 "/api/hubbub/v1/hooks/not%20a%20token", "/api/hubbub/v1/hooks/" + "a" * 300):
        r = await api.client.post(path, json={"text": "hello"})
        assert r.status_code == 401, (path, r.text)
        assert r.json() == {"error": "The webhook token is invalid"}
    r = await api.client.delete(f"{BASE}/{community['id']}/incoming_webhooks/{hook['id']}",
                                headers=owner.headers)
    assert r.status_code == 200, r.text
    r = await api.client.post(path_of(hook), json={"text": "hello"})
    assert r.status_code == 401, r.text
    # An unknown token with a bad body: still 401 (the token is looked at first).
    r = await api.client.post(f"/api/hubbub/v1/hooks/{wrong}", content=b"not json")
    assert r.status_code == 401, r.text
    assert await community_texts(api, community["id"]) == []


async def test_a_body_past_16_kb_is_413(api: Api) -> None:
    owner, community = await owned_community(api)
    hook = await hook_of(api, owner, community["id"])
    big = b'{"text": "' + b"x" * 17_000 + b'"}'
    r = await api.client.post(path_of(hook), content=big,
                              headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json() == {"error": "Request body is too large (at most 16 KB)"}

    async def chunks():  # no Content-Length: cut as it passes the limit
        for _ in range(40):
            yield b"x" * 1024

    r = await api.client.post(path_of(hook), content=chunks())
    assert r.status_code == 413, r.text
    assert await community_texts(api, community["id"]) == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"', b"{}", b'{"text": ""}',
                                  b'{"text": "   "}', b'{"text": 12}', b'{"text": null}',
                                  b'{"text": ["a"]}', b'{"message": "hi"}', b""])
async def test_no_text_to_post_is_422(api: Api, body: bytes) -> None:
    owner, community = await owned_community(api)
    hook = await hook_of(api, owner, community["id"])
    r = await api.client.post(path_of(hook), content=body,
                              headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert "text" in r.json()["error"]
    assert await community_texts(api, community["id"]) == []


async def test_a_text_past_the_status_limit_is_422(api: Api) -> None:
    owner, community = await owned_community(api)
    hook = await hook_of(api, owner, community["id"])
    limit = api.stack.settings.max_status_chars
    r = await api.client.post(path_of(hook), json={"text": "y" * (limit + 1)})
    assert r.status_code == 422, r.text
    assert "character limit" in r.json()["error"]
    r = await api.client.post(path_of(hook), json={"text": "y" * limit})
    assert r.status_code == 200, r.text


async def test_a_hook_past_its_rate_is_429_with_retry_after(api: Api) -> None:
    owner, community = await owned_community(api)
    hook = await hook_of(api, owner, community["id"])
    other = await hook_of(api, owner, community["id"])
    async with second_gateway(api.stack, rate_limit_incoming_webhook="2/1minute") as (url, _):
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            for n in range(2):
                r = await client.post(path_of(hook), json={"text": f"number {n}"})
                assert r.status_code == 200, r.text
            r = await client.post(path_of(hook), json={"text": "one too many"})
            assert r.status_code == 429, r.text
            assert int(r.headers["Retry-After"]) > 0
            assert r.json() == {"error": "Too many requests"}
            # Counted per hook: another hook of the community still posts.
            r = await client.post(path_of(other), json={"text": "other hook"})
            assert r.status_code == 200, r.text
    assert sorted(await community_texts(api, community["id"])) == [
        "number 0", "number 1", "other hook"]


async def test_only_the_communitys_managers_manage_its_hooks(api: Api) -> None:
    owner, community = await owned_community(api)
    member = await api.user()
    await join(api, member, community)
    hook = await hook_of(api, owner, community["id"])
    r = await make_hook(api, member, community["id"])
    assert r.status_code == 403, r.text
    r = await api.client.get(f"{BASE}/{community['id']}/incoming_webhooks",
                             headers=member.headers)
    assert r.status_code == 403, r.text
    r = await api.client.delete(f"{BASE}/{community['id']}/incoming_webhooks/{hook['id']}",
                                headers=member.headers)
    assert r.status_code == 403, r.text
    stranger = await api.user(domain="elsewhere-hooks.test")
    r = await make_hook(api, stranger, community["id"])
    assert r.status_code == 404, r.text
    r = await api.client.post(f"{BASE}/{community['id']}/incoming_webhooks", json={})
    assert r.status_code == 401, r.text
    r = await make_hook(api, owner, community["id"], name="n" * 101)
    assert r.status_code == 422, r.text
    r = await api.client.delete(f"{BASE}/{community['id']}/incoming_webhooks/12345",
                                headers=owner.headers)
    assert r.status_code == 404, r.text
