"""The webhooks API: what an admin makes, sees and changes, and every refusal (401 without a
token, 403 for a member or another community's admin, 404 for an unknown webhook or another
network's, 422 for a bad URL, an unknown event type or a private target)."""

from __future__ import annotations

import pytest

from tests.helpers import Api, other_domain
from tests.helpers import communities as community_helpers
from tests.helpers.webhook_receiver import WebhookReceiver
from tests.helpers.webhooks import BASE, call, create


async def test_made_listed_changed_and_removed(api: Api, receiver: WebhookReceiver) -> None:
    admin = await api.user(domain=other_domain())
    made = await create(api, admin, receiver.url("crud"), ["status.deleted", "status.created"],
                        unknown_param="ignored")
    assert made["secret"].startswith("whsec_") and len(made["secret"]) >= 6 + 32
    assert made["events"] == ["status.created", "status.deleted"]
    assert made["enabled"] is True and made["community_id"] is None

    listed = (await call(api, admin, "GET")).json()
    assert [h["id"] for h in listed] == [made["id"]]
    assert "secret" not in listed[0]

    r = await call(api, admin, "PATCH", f"/{made['id']}",
                   json={"events": ["follow.created"], "enabled": False})
    assert r.status_code == 200, r.text
    assert r.json()["events"] == ["follow.created"] and r.json()["enabled"] is False
    r = await call(api, admin, "PUT", f"/{made['id']}", json={"url": receiver.url("crud2")})
    assert r.json()["url"] == receiver.url("crud2")

    assert (await call(api, admin, "DELETE", f"/{made['id']}")).status_code == 200
    assert (await call(api, admin, "GET", f"/{made['id']}")).status_code == 404
    assert (await call(api, admin, "GET")).json() == []


async def test_no_token_is_401(api: Api) -> None:
    assert (await api.client.get(BASE)).status_code == 401
    assert (await api.client.post(BASE, json={"url": "http://127.0.0.1/", "events": []})
            ).status_code == 401


async def test_a_member_may_not_manage_the_networks_webhooks(
        api: Api, receiver: WebhookReceiver) -> None:
    domain = other_domain()
    admin = await api.user(domain=domain)
    member = await api.user(domain=domain)
    hook = await create(api, admin, receiver.url("m"), ["status.created"])

    r = await call(api, member, "POST", json={"url": receiver.url("m2"),
                                              "events": ["status.created"]})
    assert r.status_code == 403
    assert (await call(api, member, "GET")).status_code == 403
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/rotate"),
                         ("POST", "/ping"), ("GET", "/deliveries"), ("GET", "/dead_letters")):
        r = await call(api, member, method, f"/{hook['id']}{path}")
        assert r.status_code == 403, (method, path, r.text)


async def test_a_community_admin_manages_its_communitys_webhooks_only(
        api: Api, receiver: WebhookReceiver) -> None:
    domain = other_domain()
    owner = await api.user(domain=domain)
    community_admin = await api.user(domain=domain)
    other_admin = await api.user(domain=domain)
    mine = await community_helpers.create(api, community_admin)
    theirs = await community_helpers.create(api, other_admin)
    hook = await create(api, community_admin, receiver.url("c"), ["status.created"],
                        community_id=mine["id"])
    network_hook = await create(api, owner, receiver.url("n"), ["status.created"])

    assert [h["id"] for h in (await call(api, community_admin, "GET")).json()] == [hook["id"]]
    r = await call(api, other_admin, "GET", f"/{hook['id']}")
    assert r.status_code == 403
    r = await call(api, community_admin, "GET", f"/{network_hook['id']}")
    assert r.status_code == 403
    r = await call(api, community_admin, "POST", json={
        "url": receiver.url("c2"), "events": ["status.created"], "community_id": theirs["id"]})
    assert r.status_code == 403
    r = await call(api, community_admin, "POST", json={
        "url": receiver.url("c3"), "events": ["status.created"]})  # network-wide
    assert r.status_code == 403
    # The network's admin manages every webhook of the network, communities' too.
    assert (await call(api, owner, "GET", f"/{hook['id']}")).status_code == 200
    assert {h["id"] for h in (await call(api, owner, "GET")).json()} == {
        hook["id"], network_hook["id"]}


async def test_unknown_and_other_networks_webhooks_are_404(
        api: Api, receiver: WebhookReceiver) -> None:
    admin = await api.user(domain=other_domain())
    stranger = await api.user(domain=other_domain())  # another network's admin
    hook = await create(api, admin, receiver.url("x"), ["status.created"])
    for who, path in ((stranger, f"/{hook['id']}"), (admin, "/123456789"), (admin, "/nope"),
                      (admin, f"/{hook['id']}/deliveries/123/replay")):
        method = "POST" if path.endswith("replay") else "GET"
        r = await call(api, who, method, path)
        assert r.status_code == 404, (path, r.text)
    assert (await call(api, stranger, "POST", f"/{hook['id']}/ping")).status_code == 404


@pytest.mark.parametrize(("url", "words"), [
    ("ftp://127.0.0.1/hooks", "http or https"),
    ("not a url", "http or https"),
    ("http://user:pw@127.0.0.1/hooks", "user or password"),
    ("http://10.1.2.3/hooks", "private"),
    ("http://192.168.0.10:8080/hooks", "private"),
    ("http://169.254.169.254/latest/meta-data", "private"),
    ("http://[fd00::1]/hooks", "private"),
    ("http://0.0.0.0/hooks", "private"),
])
async def test_a_bad_or_private_url_is_422(api: Api, url: str, words: str) -> None:
    admin = await api.user(domain=other_domain())
    r = await call(api, admin, "POST", json={"url": url, "events": ["status.created"]})
    assert r.status_code == 422, r.text
    assert words in r.json()["error"]
    assert "url" in r.json()["error"]


async def test_unknown_event_types_are_422(api: Api, receiver: WebhookReceiver) -> None:
    domain = other_domain()
    admin = await api.user(domain=domain)
    for events in (["status.exploded"], [], ["ping"]):
        r = await call(api, admin, "POST", json={"url": receiver.url("e"), "events": events})
        assert r.status_code == 422, (events, r.text)
        assert "events" in r.json()["error"]
    community = await community_helpers.create(api, admin)
    r = await call(api, admin, "POST", json={"url": receiver.url("e"),
                                             "events": ["follow.created"],
                                             "community_id": community["id"]})
    assert r.status_code == 422  # follows belong to no community
    hook = await create(api, admin, receiver.url("e"), ["status.created"])
    r = await call(api, admin, "PATCH", f"/{hook['id']}", json={"events": ["nope"]})
    assert r.status_code == 422
    r = await call(api, admin, "PATCH", f"/{hook['id']}", json={"url": "http://10.0.0.1/"})
    assert r.status_code == 422
    r = await call(api, admin, "POST", f"/{hook['id']}/rotate",
                   json={"keep_previous_seconds": -1})
    assert r.status_code == 422


async def test_the_delivery_log_pages_with_link_headers(
        api: Api, receiver: WebhookReceiver) -> None:
    admin = await api.user(domain=other_domain())
    hook = await create(api, admin, receiver.url("pages"), ["status.created"])
    sent = [(await call(api, admin, "POST", f"/{hook['id']}/ping")).json()["id"]
            for _ in range(3)]
    r = await call(api, admin, "GET", f"/{hook['id']}/deliveries", params={"limit": 2})
    assert r.status_code == 200
    assert [d["id"] for d in r.json()] == sent[::-1][:2]
    assert 'rel="next"' in r.headers["link"]
    older = r.headers["link"].split(";")[0].strip("<>")
    r = await api.client.get(older, headers=admin.headers)
    assert [d["id"] for d in r.json()] == [sent[0]]
    r = await call(api, admin, "GET", f"/{hook['id']}/deliveries",
                   params={"state": "dead", "unknown": "x"})
    assert r.status_code == 200 and r.json() == []
    r = await call(api, admin, "GET", f"/{hook['id']}/deliveries", params={"state": "bogus"})
    assert r.status_code == 422
