"""Mastodon.py, unmodified, against the test stack's gateway (issue #17): it registers, confirms,
signs in both ways, posts, follows, reads, pages, streams (SSE and WebSocket) and deletes through
its own methods, with ``version_check_mode="created"`` so that a method the reported version
lacks fails loudly instead of reaching a route that is not there.

Mastodon.py is synchronous (requests): every call runs in a thread (``asyncio.to_thread``) so the
stack, which lives in the test's event loop, keeps serving.

Media (``media_post``, avatars, on both storage back ends) are in test_mastodon_py_media.py.
Filters v2, conversations, scheduled statuses, grouped notifications and the notification policy
have a test of their own here."""

from __future__ import annotations

import asyncio
import datetime
import re
import threading
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonNotFoundError, StreamListener
from mastodon.errors import MastodonAPIError, MastodonIllegalArgumentError, MastodonVersionError

from tests.helpers import Api, other_domain, unique
from tests.helpers.mail_drop import link_in
from tests.helpers.oauth import OOB, csrf

PASSWORD = "correct horse battery"
NETWORK = "/api/hubbub/v1/network"
run = asyncio.to_thread


async def client(api: Api, **app: Any) -> Mastodon:
    """A program using Mastodon.py starts so: ``create_app``, then the client, which reads the
    instance's version at once."""
    base = str(api.client.base_url)
    client_id, secret = await run(Mastodon.create_app, "Mastodon.py compat",
                                  api_base_url=base, **app)
    return await run(Mastodon, client_id=client_id, client_secret=secret, api_base_url=base,
                     version_check_mode="created")


async def same_app(m: Mastodon) -> Mastodon:
    """Another client of the same app, not signed in."""
    return await run(Mastodon, client_id=m.client_id, client_secret=m.client_secret,
                     api_base_url=m.api_base_url, version_check_mode="created")


async def signed_up(api: Api, domain: str) -> tuple[Mastodon, str]:
    """A person who signs up through Mastodon.py and follows the link mailed to them: the
    client (holding the token ``create_account`` returned) and the address."""
    m = await client(api)
    username = unique("mpy")
    email = f"{username}@{domain}"
    token = await run(m.create_account, username, PASSWORD, email, agreement=True)
    assert token == m.access_token
    with pytest.raises(MastodonAPIError):  # a 403 until the address is confirmed
        await run(m.account_verify_credentials)
    assert (await api.confirm(link_in(await api.next_mail(email)))).status_code == 200
    assert (await run(m.account_verify_credentials)).username == username
    return m, email


async def sign_in_page(api: Api, url: str, email: str) -> httpx.Response:
    """What a person does with the URL ``auth_request_url`` gives: open it, sign in, allow.
    The out-of-band page then shows the code to copy into the program."""
    page = await api.client.get(url)
    assert page.status_code == 200, page.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return await api.client.post(url.split("?")[0], data={
        **hidden, "csrf": csrf(page), "login": email, "password": PASSWORD, "decision": "allow"})


def code_shown(page: httpx.Response) -> str:
    found = re.search(r'<output class="auth-code"[^>]*>([^<]+)</output>', page.text)
    assert page.status_code == 200 and found, page.text
    return found.group(1)


async def test_registers_confirms_and_signs_in_by_password_and_by_code(api: Api) -> None:
    domain = other_domain()
    admin = await api.user(domain=domain)
    m, email = await signed_up(api, domain)
    me = await run(m.account_verify_credentials)
    # A refused sign-up, with Mastodon's per-field details.
    token, error = await run((await client(api)).create_account, me.username, PASSWORD,
                             f"{unique()}@{domain}", agreement=True,
                             return_detailed_error=True)
    assert token is None and error.details.username[0].error == "ERR_TAKEN", error

    # Mastodon.py sends no PKCE challenge and may use the password grant: both are for apps
    # the network's admins trust (services/gateway/application/oauth_trust.py).
    untrusted = await same_app(m)
    url = await run(untrusted.auth_request_url, redirect_uris=OOB, allow_http=True)
    refused = await sign_in_page(api, url, email)
    assert refused.status_code == 400 and "code_challenge is required" in refused.text
    with pytest.raises(MastodonIllegalArgumentError, match="unauthorized_client"):
        await run(untrusted.log_in, email, PASSWORD, allow_http=True)
    r = await api.client.patch(NETWORK, headers=admin.headers,
                               json={"password_grant_apps": [m.client_id]})
    assert r.status_code == 200, r.text

    by_password = await same_app(m)
    await run(by_password.log_in, email, PASSWORD, allow_http=True)
    assert (await run(by_password.account_verify_credentials)).id == me.id

    by_code = await same_app(m)
    url = await run(by_code.auth_request_url, redirect_uris=OOB, allow_http=True)
    code = code_shown(await sign_in_page(api, url, email))
    await run(by_code.log_in, code=code, allow_http=True)
    assert (await run(by_code.account_verify_credentials)).id == me.id
    await run(by_code.revoke_access_token, allow_http=True)
    with pytest.raises(MastodonAPIError):
        await run(by_code.account_verify_credentials)


class Listener(StreamListener):
    """Collects what a stream delivers; ``wait_for`` blocks (in a thread) until a status with
    the given id arrives."""

    def __init__(self) -> None:
        self.updates: list[Any] = []
        self.notifications: list[Any] = []
        self.deleted: list[Any] = []
        self.changed = threading.Condition()

    def _add(self, into: list[Any], item: Any) -> None:
        with self.changed:
            into.append(item)
            self.changed.notify_all()

    def on_update(self, status: Any) -> None:
        self._add(self.updates, status)

    def on_notification(self, notification: Any) -> None:
        self._add(self.notifications, notification)

    def on_delete(self, status_id: Any) -> None:
        self._add(self.deleted, status_id)

    def wait_for(self, found: Any, timeout: float = 10) -> bool:
        with self.changed:
            return self.changed.wait_for(found, timeout)


async def test_posts_follows_reads_pages_streams_and_deletes(api: Api) -> None:
    domain = other_domain()
    await api.user(domain=domain)
    alice, _ = await signed_up(api, domain)
    bob, _ = await signed_up(api, domain)
    alice_me = await run(alice.account_verify_credentials)

    # "4.2.0 (compatible; Hubbub …)" reads as 4.2.0.
    assert await run(alice.verify_minimum_version, "4.2.0")
    assert not await run(alice.verify_minimum_version, "9.0.0")
    assert (await run(alice.instance)).version.startswith("4.")
    assert (await run(alice.instance_v1)).uri
    assert (await run(alice.instance_v2)).configuration.statuses.max_characters > 0
    assert await run(alice.stream_healthy)

    relationship = await run(bob.account_follow, alice_me.id)
    assert relationship.following
    assert (await run(bob.account_relationships, alice_me.id))[0].following
    await api.idle()

    sse = Listener()
    sse_handle = await run(bob.stream_user, sse, run_async=True, timeout=10)
    ws = Listener()
    ws_handle = await run(bob.stream_open_websocket, timeout=10)
    await run(bob.stream_user, ws, websocket_handle=ws_handle)
    await asyncio.sleep(0.2)  # the subscription has no answer: let the gateway subscribe
    try:
        poll = alice.make_poll(["tea", "coffee"], expires_in=3600)
        asked = await run(alice.status_post, "Which one? #drinks", poll=poll)
        assert [o.title for o in asked.poll.options] == ["tea", "coffee"]
        for listener in (sse, ws):
            assert await run(listener.wait_for, lambda lst=listener: any(
                s.id == asked.id for s in lst.updates)), "no update on bob's stream"
    finally:
        # Mastodon.py's close waits until the stream's next line: the posts below bring it.
        closing = asyncio.gather(run(sse_handle.close), run(ws_handle.close))

    voted = await run(bob.poll_vote, asked.poll.id, [0])
    assert voted.voted and voted.votes_count == 1
    reply = await run(bob.status_post, "Tea.", in_reply_to_id=asked.id)
    assert reply.in_reply_to_id == asked.id
    assert [s.id for s in (await run(bob.status_context, asked.id)).descendants] == [reply.id]
    for n in range(4):
        await run(alice.status_post, f"note {n}")
    await asyncio.wait_for(closing, 20)
    await api.idle()

    # Paging by the Link header: 2 at a time, back, and forward again.
    page = await run(bob.timeline_home, limit=2)
    assert len(page) == 2
    older = await run(bob.fetch_next, page)
    assert older and len(older) == 2 and older[0].id < page[-1].id
    newer = await run(bob.fetch_previous, older)
    assert newer and {s.id for s in newer} == {s.id for s in page}
    everything = await run(bob.fetch_remaining, page)
    assert asked.id in [s.id for s in everything]

    await run(bob.status_favourite, asked.id)
    await run(bob.status_reblog, asked.id)
    await run(bob.status_bookmark, asked.id)
    assert [s.id for s in await run(bob.favourites)] == [asked.id]
    assert [s.id for s in await run(bob.bookmarks)] == [asked.id]
    await api.idle()
    notifications = await run(alice.notifications)
    assert {"follow", "mention", "favourite", "reblog"} <= {n.type for n in notifications}
    mentions = await run(alice.notifications, types=["mention"])
    assert [n.status.id for n in mentions] == [reply.id]
    assert (await run(alice.notifications, id=mentions[0].id)).type == "mention"
    if await run(alice.verify_minimum_version, "4.3.0"):
        grouped = await run(alice.grouped_notifications)
        assert grouped.notification_groups
    else:  # the client keeps to v1 notifications, as it should for the version reported
        with pytest.raises(MastodonVersionError):
            await run(alice.grouped_notifications)

    found = await run(bob.search_v2, "drinks")
    assert [t.name for t in found.hashtags] == ["drinks"]
    assert [a.id for a in (await run(bob.search_v2, alice_me.username)).accounts] == [
        alice_me.id]
    assert (await run(bob.account_lookup, alice_me.username)).id == alice_me.id
    assert asked.id in [s.id for s in await run(bob.timeline_hashtag, "drinks")]

    statuses = await run(bob.account_statuses, alice_me.id, limit=40)
    assert asked.id in [s.id for s in statuses]
    await run(alice.status_delete, asked.id)
    with pytest.raises(MastodonNotFoundError):
        await run(bob.status, asked.id)
    assert asked.id not in [s.id for s in await run(bob.account_statuses, alice_me.id)]
    assert not (await run(bob.account_unfollow, alice_me.id)).following


async def test_filters_direct_messages_scheduled_posts_and_grouped_notifications(
        api: Api) -> None:
    """The families newer clients call, through Mastodon.py's own methods."""
    domain = other_domain()
    await api.user(domain=domain)
    alice, _ = await signed_up(api, domain)
    bob, _ = await signed_up(api, domain)
    alice_me = await run(alice.account_verify_credentials)
    bob_me = await run(bob.account_verify_credentials)
    await run(bob.account_follow, alice_me.id)
    await api.idle()

    # Filters v2: a keyword hidden from bob's home, a warning shows as ``filtered``.
    hidden = await run(bob.create_filter_v2, "no spoilers", ["home"], "hide",
                       keywords_attributes=[{"keyword": "finale", "whole_word": True}])
    warned = await run(bob.create_filter_v2, "lunch talk", ["home"], "warn",
                       keywords_attributes=[{"keyword": "lunch"}])
    assert {f.id for f in await run(bob.filters_v2)} == {hidden.id, warned.id}
    spoiler = await run(alice.status_post, "the finale was wild")
    lunch = await run(alice.status_post, "lunch at noon")
    await api.idle()
    home = {s.id: s for s in await run(bob.timeline_home)}
    assert spoiler.id not in home
    assert [r.filter.title for r in home[lunch.id].filtered] == ["lunch talk"]
    await run(bob.delete_filter_v2, hidden.id)
    assert [f.id for f in await run(bob.filters_v2)] == [warned.id]

    # A direct message: a conversation on both sides, unread for bob until he reads it.
    dm = await run(alice.status_post, f"@{bob_me.username} a word?", visibility="direct")
    await api.idle()
    [conversation] = await run(bob.conversations)
    assert conversation.last_status.id == dm.id and conversation.unread
    assert [a.id for a in conversation.accounts] == [alice_me.id]
    assert not (await run(bob.conversations_read, conversation.id)).unread

    # A scheduled post: listed, moved, cancelled, never posted.
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    scheduled = await run(alice.status_post, "see you tomorrow", scheduled_at=later)
    assert scheduled.params.text == "see you tomorrow"
    assert [s.id for s in await run(alice.scheduled_statuses)] == [scheduled.id]
    moved = await run(alice.scheduled_status_update, scheduled.id,
                      later + datetime.timedelta(days=1))
    assert moved.scheduled_at > scheduled.scheduled_at
    await run(alice.scheduled_status_delete, scheduled.id)
    assert await run(alice.scheduled_statuses) == []

    # Grouped notifications: two favourites of one post are one group of two accounts.
    carol, _ = await signed_up(api, domain)
    await run(bob.status_favourite, lunch.id)
    await run(carol.status_favourite, lunch.id)
    await api.idle()
    grouped = await run(alice.grouped_notifications, grouped_types=["favourite"])
    [favourites] = [g for g in grouped.notification_groups if g.type == "favourite"]
    assert favourites.notifications_count == 2 and favourites.status_id == lunch.id
    assert len(favourites.sample_account_ids) == 2
    policy = await run(alice.update_notifications_policy, for_not_following="filter")
    assert policy.for_not_following == "filter"
    assert (await run(alice.notifications_policy)).for_not_following == "filter"
