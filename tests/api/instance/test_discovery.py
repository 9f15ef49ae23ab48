"""Discovery before sign-in (OAuth metadata, NodeInfo, host-meta, WebFinger), and the Mastodon
version Hubbub announces, held to the routes it has."""

from __future__ import annotations

import re
from typing import Any

from tests.helpers import Api, other_domain

JSON = "application/json"


async def _get_json(api: Api, path: str, media_type: str = JSON, **params: Any) -> Any:
    r = await api.client.get(path, params=params)
    assert r.status_code == 200, (path, r.text)
    assert r.headers["content-type"].split(";")[0] == media_type, path
    return r.json()


async def test_oauth_metadata_names_the_endpoints_and_the_accepted_scopes(api: Api) -> None:
    meta = await _get_json(api, "/.well-known/oauth-authorization-server")
    base = str(api.client.base_url).rstrip("/")
    assert meta["issuer"] == f"{base}/"
    assert meta["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert meta["token_endpoint"] == f"{base}/oauth/token"
    assert meta["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert meta["app_registration_endpoint"] == f"{base}/api/v1/apps"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    scopes = meta["scopes_supported"]
    assert {"read", "write", "follow", "push", "profile", "read:statuses"} <= set(scopes)
    # Every advertised scope is one an app may register with.
    r = await api.client.post("/api/v1/apps", data={
        "client_name": "discovery", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        "scopes": " ".join(scopes)})
    assert r.status_code == 200, r.text
    assert "read:everything" not in scopes


async def test_nodeinfo_says_what_the_server_is(api: Api) -> None:
    links = (await _get_json(api, "/.well-known/nodeinfo"))["links"]
    rels = {link["rel"].rsplit("/", 1)[-1]: link["href"] for link in links}
    assert set(rels) == {"2.0", "2.1"}
    base = str(api.client.base_url).rstrip("/")
    instance = await _get_json(api, "/api/v2/instance")
    for version, href in rels.items():
        assert href == f"{base}/nodeinfo/{version}"
        info = await _get_json(api, f"/nodeinfo/{version}")
        assert info["version"] == version
        assert info["software"]["name"] == "hubbub"
        assert re.fullmatch(r"[a-z0-9-]+", info["software"]["name"])
        assert info["software"]["version"] in instance["version"]
        assert info["protocols"] == []  # no federation
        assert info["services"] == {"inbound": [], "outbound": []}
        assert info["openRegistrations"] is instance["registrations"]["enabled"]
        assert info["usage"] == {"users": {}}  # no head counts published
        assert isinstance(info["metadata"], dict)


async def test_host_meta_points_at_webfinger(api: Api) -> None:
    r = await api.client.get("/.well-known/host-meta")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == "application/xrd+xml"
    base = str(api.client.base_url).rstrip("/")
    assert f'template="{base}/.well-known/webfinger?resource={{uri}}"' in r.text
    assert 'rel="lrdd"' in r.text


async def test_webfinger_finds_a_discoverable_account(api: Api) -> None:
    me = await api.user(domain=other_domain())
    domain = (await _get_json(api, "/api/v2/instance"))["domain"]
    found = await _get_json(api, "/.well-known/webfinger", "application/jrd+json",
                            resource=f"acct:{me.username}@{domain}")
    base = str(api.client.base_url).rstrip("/")
    assert found["subject"] == f"acct:{me.username}@{domain}"
    assert found["aliases"] == [f"{base}/@{me.username}"]
    assert {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
            "href": f"{base}/@{me.username}"} in found["links"]
    # The account's own network's domain and its profile URL name it too.
    network = me.email.split("@")[1]
    for resource in (f"acct:{me.username}@{network}", f"{base}/@{me.username}"):
        r = await api.client.get("/.well-known/webfinger", params={"resource": resource})
        assert r.status_code == 200 and r.json()["subject"] == found["subject"], resource


async def test_webfinger_tells_a_stranger_nothing_of_the_others(api: Api) -> None:
    me = await api.user(domain=other_domain())
    hidden = await api.user(domain=other_domain())
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=hidden.headers,
                               json={"discoverable": False})
    assert r.status_code == 200, r.text
    domain = (await _get_json(api, "/api/v2/instance"))["domain"]
    for resource in (f"acct:nobody{me.username}@{domain}",  # unknown
                     f"acct:{hidden.username}@{domain}",  # not discoverable
                     f"acct:{me.username}@{other_domain()}",  # another network's domain
                     f"acct:{me.username}@elsewhere.example"):
        r = await api.client.get("/.well-known/webfinger", params={"resource": resource})
        assert r.status_code == 404, (resource, r.text)


async def test_webfinger_refuses_a_malformed_resource(api: Api) -> None:
    for params in ({}, {"resource": ""}, {"resource": "alice"}, {"resource": "acct:alice"},
                   {"resource": "mailto:alice@example.com"}, {"resource": "acct:a@b@c"},
                   {"resource": "acct:" + "a" * 700 + "@x.test"}):
        r = await api.client.get("/.well-known/webfinger", params=params)
        assert r.status_code == 400, (params, r.text)


# What clients switch on by the announced version (Mastodon's CHANGELOG): a route each, which
# must answer something other than 404 once Hubbub announces that version.
SINCE_VERSION: list[tuple[tuple[int, int], str]] = [
    ((2, 1), "/api/v1/instance/activity"),
    ((2, 4), "/api/v1/filters"),
    ((2, 5), "/api/v1/endorsements"),
    ((2, 9), "/api/v1/admin/accounts"),  # the admin API (Mastodon 2.9.1)
    ((2, 9), "/api/v1/admin/reports"),
    ((3, 0), "/api/v1/markers"),
    ((3, 0), "/api/v1/featured_tags"),
    ((3, 0), "/api/v1/directory"),
    ((3, 1), "/api/v1/bookmarks"),
    ((3, 4), "/api/v1/accounts/lookup?acct={me}"),
    ((3, 4), "/api/v2/suggestions"),
    ((3, 5), "/api/v1/accounts/familiar_followers?id[]=1"),
    ((3, 5), "/api/v1/trends/statuses"),
    ((3, 5), "/api/v1/trends/links"),
    ((4, 0), "/api/v2/instance"),
    ((4, 0), "/api/v1/instance/languages"),
    ((4, 0), "/api/v1/instance/extended_description"),
    ((4, 0), "/api/v1/followed_tags"),
    ((4, 0), "/api/v2/filters"),
    ((4, 0), "/api/v2/admin/accounts"),
    ((4, 0), "/api/v1/admin/canonical_email_blocks"),
    ((4, 0), "/api/v1/admin/email_domain_blocks"),
    ((4, 0), "/api/v1/admin/ip_blocks"),
    ((4, 3), "/api/v2/notifications"),  # grouped notifications
    ((4, 3), "/api/v2/notifications/unread_count"),
    ((4, 3), "/api/v1/notifications/unread_count"),
    ((4, 3), "/api/v2/notifications/policy"),  # filtered notifications (Phanpy, Elk)
    ((4, 3), "/api/v1/notifications/requests"),
    ((4, 3), "/api/v1/notifications/requests/merged"),
    ((4, 3), "/api/v1/statuses?id[]=1"),  # several statuses at once (Phanpy's gate)
    ((4, 3), "/api/v1/accounts?id[]=1"),
    ((4, 3), "/api/v1/timelines/link?url=https://example.com/"),  # a trending link's statuses
]
SINCE_API_VERSION: list[tuple[int, str]] = [(2, "/api/v2/notifications")]


async def test_the_announced_version_never_runs_ahead_of_the_routes(api: Api) -> None:
    me = await api.user(domain=other_domain())
    v1 = await _get_json(api, "/api/v1/instance")
    v2 = await _get_json(api, "/api/v2/instance")
    assert v1["version"] == v2["version"]
    found = re.match(r"^(\d+)\.(\d+)\.\d+ \(compatible; Hubbub [0-9.]+\)$", v2["version"])
    assert found, v2["version"]
    announced = (int(found.group(1)), int(found.group(2)))
    api_version = v2["api_versions"]["mastodon"]
    implied = ([path for since, path in SINCE_VERSION if announced >= since]
               + [path for since, path in SINCE_API_VERSION if api_version >= since])
    assert implied  # the table covers what is announced
    for path in implied:
        r = await api.client.get(path.format(me=me.username), headers=me.headers)
        assert r.status_code != 404, (path, r.text)
    # Grouped notifications are built, and announced both ways.
    assert announced >= (4, 3) and api_version >= 2
