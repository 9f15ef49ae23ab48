"""What moderation does everywhere: a silenced account's posts leave the network and hashtag
timelines of everyone but its followers; a suspended or disabled account is locked out (its
tokens 401 on every route, its open streams closed within a second, no sign-in), and
unsuspending or enabling lets it back in at once."""

from __future__ import annotations

import asyncio
import contextlib
import json

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.helpers import Api, User, unique
from tests.helpers.media import uploaded
from tests.helpers.moderation import act, team
from tests.helpers.streaming import next_event, subscribe, ws_url

INVALID = {"error": "The access token is invalid"}


async def signed_in_again(api: Api, user: User) -> None:
    """The account's token works again once its gateway heard ``account.reactivated`` (graph's
    outbox relays it right after the commit: drained by ``idle``, then heard within moments)."""
    await api.idle()
    deadline = asyncio.get_running_loop().time() + 2
    while True:
        r = await api.client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
        if r.status_code == 200 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.02)
    assert r.status_code == 200, r.text


async def network_ids(api: Api, reader: User) -> list[str]:
    r = await api.client.get("/api/v1/timelines/public", headers=reader.headers)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]


async def tag_ids(api: Api, reader: User, tag: str) -> list[str]:
    r = await api.client.get(f"/api/v1/timelines/tag/{tag}", headers=reader.headers)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]


async def test_a_silenced_accounts_posts_leave_strangers_public_timelines(api: Api) -> None:
    owner, [moderator, loud, follower, stranger] = await team(
        api, "moderator", "member", "member", "member")
    await api.follow(follower, loud)
    tag = unique("tag")
    post = await api.post(loud, f"hear me #{tag}")
    other = await api.post(owner, f"also #{tag}")
    await api.idle()
    for reader in (follower, stranger):
        assert post["id"] in await network_ids(api, reader)
        assert post["id"] in await tag_ids(api, reader, tag)

    r = await act(api, moderator, loud, type="silence")
    assert r.status_code == 200, r.text
    assert post["id"] not in await network_ids(api, stranger)
    assert post["id"] not in await tag_ids(api, stranger, tag)
    assert other["id"] in await tag_ids(api, stranger, tag)  # others' posts stay
    for reader in (follower, loud):  # its followers, and itself, still see it
        assert post["id"] in await network_ids(api, reader)
        assert post["id"] in await tag_ids(api, reader, tag)
    # its followers' home timelines keep it; the post itself is still readable
    assert post["id"] in [s["id"] for s in (await api.home(follower)).json()]
    r = await api.client.get(f"/api/v1/statuses/{post['id']}", headers=stranger.headers)
    assert r.status_code == 200

    assert (await act(api, moderator, loud, "unsilence")).status_code == 200
    assert post["id"] in await network_ids(api, stranger)
    assert post["id"] in await tag_ids(api, stranger, tag)


async def test_suspension_locks_out_and_unsuspension_lets_back_in(api: Api) -> None:
    owner, [moderator, member] = await team(api, "moderator", "member")
    assert (await api.client.get("/api/v1/accounts/verify_credentials",
                                 headers=member.headers)).status_code == 200
    ws = await connect(ws_url(api), additional_headers=member.headers, proxy=None)
    await subscribe(ws, stream="user")

    async def closed() -> float:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.recv()
        return asyncio.get_running_loop().time()

    closing = asyncio.create_task(closed())
    r = await act(api, moderator, member, type="suspend", text="abuse")
    assert r.status_code == 200, r.text
    answered = asyncio.get_running_loop().time()
    assert await asyncio.wait_for(closing, 5) - answered < 1.0  # the stream ends at once
    for path in ("/api/v1/accounts/verify_credentials", "/api/v1/timelines/home",
                 "/api/v1/timelines/public"):
        r = await api.client.get(path, headers=member.headers)
        assert (r.status_code, r.json()) == (401, INVALID), path
    # No sign-in, and nobody sees the account any more.
    app = await api.app()
    await api.allow_password_grant(owner)
    signed = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": member.email,
        "password": member.password, "scope": "read"})
    assert signed.status_code != 200, signed.text
    r = await api.client.get(f"/api/v1/accounts/{member.id}", headers=owner.headers)
    assert r.status_code == 404
    # The moderators still see it, suspended.
    r = await api.client.get(f"/api/v1/admin/accounts/{member.id}", headers=moderator.headers)
    assert r.status_code == 200 and r.json()["suspended"] is True

    r = await act(api, moderator, member, "unsuspend")
    assert r.status_code == 200, r.text
    assert r.json()["suspended"] is False
    # Back at once: the same token works again (gateways lifted what they heard).
    await signed_in_again(api, member)
    r = await api.client.get(f"/api/v1/accounts/{member.id}", headers=owner.headers)
    assert r.status_code == 200
    signed = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": member.email,
        "password": member.password, "scope": "read"})
    assert signed.status_code == 200, signed.text


async def test_disabling_locks_out_and_enabling_lets_back_in(api: Api) -> None:
    _, [moderator, member] = await team(api, "moderator", "member")
    r = await act(api, moderator, member, type="disable")
    assert r.status_code == 200, r.text
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=member.headers)
    assert (r.status_code, r.json()) == (401, INVALID)
    # Disabled is not hidden: its profile is still there for the others.
    r = await api.client.get(f"/api/v1/accounts/{member.id}", headers=moderator.headers)
    assert r.status_code == 200
    r = await act(api, moderator, member, "enable")
    assert r.status_code == 200 and r.json()["disabled"] is False
    await signed_in_again(api, member)


async def test_unsuspending_keeps_a_disabled_account_out(api: Api) -> None:
    """Both lock out: undoing one leaves the other in force."""
    _, [moderator, member] = await team(api, "moderator", "member")
    assert (await act(api, moderator, member, type="disable")).status_code == 200
    assert (await act(api, moderator, member, type="suspend")).status_code == 200
    assert (await act(api, moderator, member, "unsuspend")).status_code == 200
    await api.idle()
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=member.headers)
    assert r.status_code == 401
    assert (await act(api, moderator, member, "enable")).status_code == 200
    await signed_in_again(api, member)


async def test_deleting_needs_a_suspension_and_is_for_good(api: Api) -> None:
    owner, [moderator, member] = await team(api, "moderator", "member")
    path = f"/api/v1/admin/accounts/{member.id}"
    r = await api.client.delete(path, headers=moderator.headers)
    assert r.status_code == 403, r.text  # not suspended
    assert (await act(api, moderator, member, type="suspend")).status_code == 200
    r = await api.client.delete(path, headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["hubbub"]["deactivated"] is True
    assert (await act(api, moderator, member, "unsuspend")).status_code == 200
    await api.idle()
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=member.headers)
    assert r.status_code == 401  # unsuspending does not bring it back
    r = await api.client.get("/api/hubbub/v1/network/audit", headers=owner.headers)
    assert "account.deleted" in [e["action"] for e in r.json()]
    r = await api.client.delete(f"/api/v1/admin/accounts/{member.id}",
                                headers=member.headers)
    assert r.status_code == 401


async def test_no_public_stream_announces_a_silenced_accounts_posts(api: Api) -> None:
    """As Mastodon's broadcastable?: the network and hashtag streams leave a silenced
    account's new posts out (its followers' user streams still carry them)."""
    _, [moderator, loud, other, watcher] = await team(
        api, "moderator", "member", "member", "member")
    tag = unique("tag")
    assert (await act(api, moderator, loud, type="silence")).status_code == 200
    async with connect(ws_url(api), additional_headers=watcher.headers, proxy=None) as ws:
        await subscribe(ws, stream="public")
        await subscribe(ws, stream="hashtag", tag=tag)
        await api.post(loud, f"unheard #{tag}")
        heard = await api.post(other, f"heard #{tag}")
        got = [await next_event(ws), await next_event(ws)]
    assert {e["event"] for e in got} == {"update"}
    assert [json.loads(e["payload"])["id"] for e in got] == [heard["id"], heard["id"]]


async def test_a_sensitized_accounts_media_is_sensitive(api: Api) -> None:
    _, [moderator, author] = await team(api, "moderator", "member")
    assert (await act(api, moderator, author, type="sensitive")).status_code == 200
    media = await uploaded(api.client, author.headers)
    await api.idle()
    pictured = await api.post(author, "a picture", media_ids=[media["id"]])
    assert pictured["sensitive"] is True
    words = await api.post(author, "words only")
    assert words["sensitive"] is False
    assert (await act(api, moderator, author, "unsensitive")).status_code == 200
    media = await uploaded(api.client, author.headers)
    await api.idle()
    assert (await api.post(author, "again", media_ids=[media["id"]]))["sensitive"] is False
