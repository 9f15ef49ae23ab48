"""Muting a thread (POST /api/v1/statuses/:id/mute, /unmute): no more notifications from it
for the reader who muted it, ``muted`` in that reader's status JSON; and translation, which
Hubbub does not configure (Mastodon's answers then)."""

from __future__ import annotations

from tests.helpers import Api, other_domain
from tests.helpers.relations import note_types
from tests.helpers.scoped import network_with_password_grant, token_with


async def test_a_muted_thread_notifies_its_muter_no_more(api: Api) -> None:
    author, replier, bystander = await api.user(), await api.user(), await api.user()
    root = await api.post(author, "a thread")
    reply = await api.post(replier, f"@{author.username} a reply", in_reply_to_id=root["id"])
    r = await api.client.post(f"/api/v1/statuses/{reply['id']}/mute", headers=author.headers)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == reply["id"] and r.json()["muted"] is True
    await api.idle()
    before = await note_types(api, author)

    await api.post(replier, f"@{author.username} more", in_reply_to_id=root["id"])
    await api.client.post(f"/api/v1/statuses/{root['id']}/favourite", headers=replier.headers)
    await api.client.post(f"/api/v1/statuses/{root['id']}/reblog", headers=replier.headers)
    await api.post(replier, f"@{bystander.username} and you", in_reply_to_id=root["id"])
    await api.idle()
    assert await note_types(api, author) == before  # nothing new from the muted thread
    assert "mention" in await note_types(api, bystander)  # only the muter muted it

    elsewhere = await api.post(author, "another thread")
    await api.client.post(f"/api/v1/statuses/{elsewhere['id']}/favourite",
                          headers=replier.headers)
    await api.idle()
    assert (await note_types(api, author))[0] == "favourite"  # other threads still notify


async def test_unmuting_brings_the_notifications_back(api: Api) -> None:
    author, replier = await api.user(), await api.user()
    root = await api.post(author, "a thread")
    await api.client.post(f"/api/v1/statuses/{root['id']}/mute", headers=author.headers)
    r = await api.client.post(f"/api/v1/statuses/{root['id']}/unmute", headers=author.headers)
    assert r.status_code == 200 and r.json()["muted"] is False
    await api.post(replier, f"@{author.username} hello", in_reply_to_id=root["id"])
    await api.idle()
    assert await note_types(api, author) == ["mention"]


async def test_muted_shows_for_the_muter_only(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    root = await api.post(author, "a thread")
    reply = await api.post(reader, "a reply", in_reply_to_id=root["id"])
    await api.client.post(f"/api/v1/statuses/{root['id']}/mute", headers=author.headers)
    mine = await api.client.get(f"/api/v1/statuses/{reply['id']}", headers=author.headers)
    assert mine.json()["muted"] is True  # the thread, whichever of its statuses is read
    theirs = await api.client.get(f"/api/v1/statuses/{reply['id']}", headers=reader.headers)
    assert theirs.json()["muted"] is False
    context = await api.client.get(f"/api/v1/statuses/{reply['id']}/context",
                                   headers=author.headers)
    assert [s["muted"] for s in context.json()["ancestors"]] == [True]


async def test_a_status_not_seen_cannot_be_muted_or_translated(api: Api) -> None:
    me, stranger = await api.user(), await api.user(domain=other_domain())
    theirs = await api.post(stranger, "elsewhere")
    for action in ("mute", "unmute", "translate"):
        r = await api.client.post(f"/api/v1/statuses/{theirs['id']}/{action}",
                                  headers=me.headers)
        assert r.status_code == 404 and r.json() == {"error": "Record not found"}, action
        r = await api.client.post(f"/api/v1/statuses/12345/{action}", headers=me.headers)
        assert r.status_code == 404, action


async def test_translation_is_not_configured(api: Api) -> None:
    author, follower = await api.user(), await api.user()
    await api.follow(follower, author)
    public = await api.post(author, "bonjour tout le monde", language="fr")
    r = await api.client.post(f"/api/v1/statuses/{public['id']}/translate",
                              headers=follower.headers)
    assert r.status_code == 404 and r.json() == {"error": "Record not found"}
    private = await api.post(author, "entre nous", visibility="private", language="fr")
    r = await api.client.post(f"/api/v1/statuses/{private['id']}/translate",
                              headers=follower.headers)
    assert r.status_code == 403 and r.json() == {"error": "This action is not allowed"}


async def test_mute_and_translate_need_tokens_and_scopes(api: Api) -> None:
    admin, member = await network_with_password_grant(api)
    status = await api.post(admin, "hello")
    for action in ("mute", "unmute", "translate"):
        r = await api.client.post(f"/api/v1/statuses/{status['id']}/{action}")
        assert r.status_code == 401, action
    read_only = await token_with(api, member, "read")
    r = await api.client.post(f"/api/v1/statuses/{status['id']}/mute", headers=read_only)
    assert r.status_code == 403
    write_only = await token_with(api, member, "write")
    r = await api.client.post(f"/api/v1/statuses/{status['id']}/translate", headers=write_only)
    assert r.status_code == 403
    r = await api.client.post(f"/api/v1/statuses/{status['id']}/mute",
                              headers=await token_with(api, member, "write:mutes"))
    assert r.status_code == 200
