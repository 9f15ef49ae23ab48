"""Web Push subscriptions (/api/v1/push/subscription), end to end: a mention reaches a push
service on 127.0.0.1 that checks the VAPID signature and decrypts the message as a browser
would (tests/helpers/push_receiver.py), in Mastodon's payload shape; alerts and the policy
decide who is pushed; a gone subscription (410) is deleted; one subscription per token,
replaced when made again; the entity's shape; and the refusals."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, User
from tests.helpers.oauth import scoped_headers
from tests.helpers.push_receiver import Browser, PushReceiver

URL = "/api/v1/push/subscription"
ALERTS = {"mention", "status", "reblog", "follow", "follow_request", "favourite", "poll",
          "update", "admin.sign_up", "admin.report"}


def body(endpoint: str, browser: Browser, **data: Any) -> dict[str, Any]:
    return {"subscription": {"endpoint": endpoint, "keys": browser.keys()}, "data": data}


async def subscribe(api: Api, user: User, receiver: PushReceiver, name: str, *script: int | str,
                    headers: dict[str, str] | None = None, **data: Any) -> dict[str, Any]:
    endpoint, browser = receiver.endpoint(name, *script)
    r = await api.client.post(URL, headers=headers or user.headers,
                              json=body(endpoint, browser, **data))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_mention_is_pushed_readable_as_a_browser_reads_it(api: Api,
                                                                 receiver: PushReceiver) -> None:
    reader, author = await api.user(), await api.user()
    made = await subscribe(api, reader, receiver, "reader", alerts={"mention": True})
    status = await api.post(author, f"@{reader.username} lunch at noon?")
    await api.idle()
    [got] = await receiver.wait_for("reader")
    assert receiver.problems == []
    payload = got.payload
    assert set(payload) == {"access_token", "preferred_locale", "notification_id",
                            "notification_type", "icon", "title", "body"}
    assert payload["access_token"] == reader.token  # the client fetches the notification
    assert payload["notification_type"] == "mention"
    assert payload["title"] == f"{author.username} mentioned you"
    assert "lunch at noon?" in payload["body"]
    assert payload["icon"].startswith("http")
    # The notification the client fetches with that token is this one.
    r = await api.client.get(f"/api/v1/notifications/{payload['notification_id']}",
                             headers=reader.headers)
    assert r.status_code == 200 and r.json()["status"]["id"] == status["id"]
    assert got.headers["Content-Encoding"] == "aes128gcm"
    assert int(got.headers["TTL"]) > 0 and got.headers["Urgency"] == "normal"
    assert got.claims["aud"] == receiver.base
    instance = (await api.client.get("/api/v2/instance")).json()
    assert instance["configuration"]["vapid"]["public_key"] == made["server_key"]
    assert (await api.client.get("/api/v1/instance")).json()["vapid_key"] == made["server_key"]


async def test_alerts_off_push_nothing(api: Api, receiver: PushReceiver) -> None:
    reader, author = await api.user(), await api.user()
    await subscribe(api, reader, receiver, "quiet", alerts={"mention": False, "follow": True})
    await api.post(author, f"@{reader.username} hello?")
    await api.follow(author, reader)
    await api.idle()
    [got] = receiver.of("quiet")  # the follow only
    assert got.payload["notification_type"] == "follow"
    assert got.payload["title"] == f"{author.username} is now following you"


async def test_policy_followed_pushes_only_those_the_reader_follows(
        api: Api, receiver: PushReceiver) -> None:
    reader, friend, stranger = await api.user(), await api.user(), await api.user()
    await api.follow(reader, friend)
    await subscribe(api, reader, receiver, "followed", alerts={"mention": True},
                    policy="followed")
    await api.post(stranger, f"@{reader.username} from a stranger")
    await api.post(friend, f"@{reader.username} from a friend")
    await api.idle()
    [got] = receiver.of("followed")
    assert "from a friend" in got.payload["body"]
    # policy none: nobody.
    r = await api.client.put(URL, headers=reader.headers, json={"data": {"policy": "none"}})
    assert r.status_code == 200 and r.json()["policy"] == "none"
    await api.post(friend, f"@{reader.username} again")
    await api.idle()
    assert len(receiver.of("followed")) == 1


async def test_policy_follower_pushes_only_the_readers_followers(
        api: Api, receiver: PushReceiver) -> None:
    reader, fan, stranger = await api.user(), await api.user(), await api.user()
    await api.follow(fan, reader)
    await subscribe(api, reader, receiver, "follower", alerts={"mention": True},
                    policy="follower")
    await api.post(stranger, f"@{reader.username} not a follower")
    await api.post(fan, f"@{reader.username} a follower")
    await api.idle()
    [got] = receiver.of("follower")
    assert "a follower" in got.payload["body"]


async def test_a_gone_subscription_is_deleted(api: Api, receiver: PushReceiver) -> None:
    reader, author = await api.user(), await api.user()
    await subscribe(api, reader, receiver, "gone", 410, alerts={"mention": True})
    await api.post(author, f"@{reader.username} are you there?")
    await api.idle()
    assert receiver.endpoints["gone"].attempts == 1  # no retry
    r = await api.client.get(URL, headers=reader.headers)
    assert (r.status_code, r.json()) == (404, {"error": "Record not found"})
    await api.post(author, f"@{reader.username} still?")
    await api.idle()
    assert receiver.endpoints["gone"].attempts == 1


async def test_a_failing_push_service_is_tried_again_and_delivered_once(
        api: Api, receiver: PushReceiver) -> None:
    reader, author = await api.user(), await api.user()
    await subscribe(api, reader, receiver, "flaky", 500, 503, alerts={"mention": True})
    await api.post(author, f"@{reader.username} third time lucky")
    await api.idle()
    [got] = await receiver.wait_for("flaky")
    assert "third time lucky" in got.payload["body"]
    assert receiver.endpoints["flaky"].attempts == 3
    await api.idle()
    assert len(receiver.of("flaky")) == 1


async def test_the_subscriptions_shape_one_per_token(api: Api, receiver: PushReceiver) -> None:
    user = await api.user()
    made = await subscribe(api, user, receiver, "shape", alerts={"mention": "true",
                                                                  "favourite": "1",
                                                                  "unknown": True},
                           policy="follower")
    assert set(made) == {"id", "endpoint", "standard", "alerts", "policy", "server_key"}
    assert isinstance(made["id"], str) and made["endpoint"].endswith("/push/shape")
    assert made["standard"] is True and made["policy"] == "follower"
    assert set(made["alerts"]) == ALERTS
    assert {k for k, v in made["alerts"].items() if v} == {"mention", "favourite"}
    assert made["server_key"] == receiver.server_key
    r = await api.client.get(URL, headers=user.headers)
    assert r.status_code == 200 and r.json() == made
    # PUT changes the alerts named and the policy; the rest stays.
    r = await api.client.put(URL, headers=user.headers,
                             json={"data": {"alerts": {"favourite": False, "poll": True}}})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert {k for k, v in changed["alerts"].items() if v} == {"mention", "poll"}
    assert changed["policy"] == "follower" and changed["id"] == made["id"]
    # As a form, as some clients send it.
    r = await api.client.put(URL, headers=user.headers,
                             data={"data[alerts][status]": "true", "policy": "all"})
    assert r.status_code == 200 and r.json()["alerts"]["status"] is True
    assert r.json()["policy"] == "all"
    # The policy at the top level, as masto.js sends it, is taken too.
    endpoint, browser = receiver.endpoint("top-level")
    r = await api.client.post(URL, headers=user.headers,
                              json={**body(endpoint, browser), "policy": "followed"})
    assert r.status_code == 200 and r.json()["policy"] == "followed"
    # Made again with the same token: replaced, not added.
    again = await subscribe(api, user, receiver, "shape2", standard=False)
    assert again["id"] != made["id"] and again["endpoint"].endswith("/push/shape2")
    assert not any(again["alerts"].values()) and again["policy"] == "all"
    assert (await api.client.get(URL, headers=user.headers)).json() == again
    # Another token of the same account has none.
    other = await scoped_headers(api, user, "push")
    assert (await api.client.get(URL, headers=other)).status_code == 404
    # DELETE answers {} whether or not there was one.
    for _ in range(2):
        r = await api.client.delete(URL, headers=user.headers)
        assert (r.status_code, r.json()) == (200, {})
    assert (await api.client.get(URL, headers=user.headers)).status_code == 404
    r = await api.client.put(URL, headers=user.headers, json={"data": {"policy": "all"}})
    assert r.status_code == 404


async def test_standard_false_is_kept_and_sent_as_aes128gcm(api: Api,
                                                           receiver: PushReceiver) -> None:
    reader, author = await api.user(), await api.user()
    endpoint, browser = receiver.endpoint("legacy")
    payload = body(endpoint, browser, alerts={"mention": True})
    payload["subscription"]["standard"] = False
    r = await api.client.post(URL, headers=reader.headers, json=payload)
    assert r.status_code == 200 and r.json()["standard"] is False
    await api.post(author, f"@{reader.username} standard anyway")
    await api.idle()
    [got] = await receiver.wait_for("legacy")
    assert got.headers["Content-Encoding"] == "aes128gcm"


async def test_a_revoked_tokens_subscription_is_deleted(api: Api,
                                                       receiver: PushReceiver) -> None:
    reader, author = await api.user(), await api.user()
    await subscribe(api, reader, receiver, "revoked", alerts={"mention": True})
    app = await api.app()
    r = await api.client.post("/oauth/revoke", data={
        "client_id": app["client_id"], "client_secret": app["client_secret"],
        "token": reader.token})
    assert r.status_code == 200, r.text
    await api.post(author, f"@{reader.username} nobody hears")
    await api.idle()
    assert receiver.endpoints["revoked"].attempts == 0


async def test_refusals(api: Api, receiver: PushReceiver) -> None:
    user = await api.user()
    endpoint, browser = receiver.endpoint("refused")
    good = body(endpoint, browser)
    assert (await api.client.post(URL, json=good)).status_code == 401
    assert (await api.client.get(URL)).status_code == 401
    assert (await api.client.delete(URL)).status_code == 401
    read_only = await scoped_headers(api, user, "read")
    for method in ("POST", "GET", "PUT", "DELETE"):
        r = await api.client.request(method, URL, headers=read_only, json=good)
        assert (r.status_code, r.json()) == (
            403, {"error": "This action is outside the authorized scopes"}), method
    push_only = await scoped_headers(api, user, "push")
    r = await api.client.post(URL, headers=push_only, json={**good, "extra": 1})
    assert r.status_code == 200, r.text  # unknown parameters are ignored

    def with_keys(**keys: str) -> dict[str, Any]:
        return {"subscription": {"endpoint": endpoint, "keys": {**browser.keys(), **keys}}}

    def at(url: str) -> dict[str, Any]:
        return {"subscription": {"endpoint": url, "keys": browser.keys()}}

    bad = {
        "p256dh not base64": with_keys(p256dh="not*base64!"),
        "p256dh too short": with_keys(p256dh=browser.p256dh[:40]),
        "p256dh off the curve": with_keys(p256dh="BA" + "A" * 85),
        "auth wrong length": with_keys(auth="AAAAAAAA"),
        "http endpoint elsewhere": at("http://push.example.com/x"),
        "private address": at("https://10.1.2.3/push"),
        "link-local address": at("https://169.254.169.254/latest"),
        "private IPv6": at("https://[fd00::1]/push"),
        "not a URL": at("push-me"),
        "ftp": at("ftp://127.0.0.1/x"),
        "credentials in URL": at("https://user:pw@127.0.0.1/x"),
        "no endpoint": {"subscription": {"keys": browser.keys()}},
        "no keys": {"subscription": {"endpoint": endpoint}},
        "bad policy": {**good, "data": {"policy": "everyone"}},
    }
    for case, payload in bad.items():
        r = await api.client.post(URL, headers=user.headers, json=payload)
        assert r.status_code == 422, (case, r.status_code, r.text)
        assert "error" in r.json(), case
    r = await api.client.put(URL, headers=push_only, json={"data": {"policy": "sometimes"}})
    assert r.status_code == 422
    # Nothing half-written: the refused attempts left no subscription for this token.
    assert (await api.client.get(URL, headers=user.headers)).status_code == 404
