"""A network's sign-up blocks through Mastodon's admin API: canonical e-mail blocks (an
address in its canonical form, kept as its SHA-256), e-mail domain blocks and IP blocks, each
refusing sign-ups to that network; owners and admins only, nothing across networks."""

from __future__ import annotations

import hashlib

from tests.helpers import Api, unique
from tests.helpers.mail_drop import link_in
from tests.helpers.moderation import NOT_FOUND, OUTSIDE, audit_actions, team, token_with

CANONICAL = "/api/v1/admin/canonical_email_blocks"
DOMAINS = "/api/v1/admin/email_domain_blocks"
IPS = "/api/v1/admin/ip_blocks"
PENDING = {"error": "Your login is currently pending approval"}


async def test_a_canonical_email_block_refuses_every_spelling_of_the_address(api: Api) -> None:
    owner, [moderator] = await team(api, "moderator")
    domain = owner.email.split("@")[1]
    name = unique("ana")
    r = await api.client.post(CANONICAL, headers=owner.headers,
                              json={"email": f"{name[:3]}.{name[3:]}+spam@{domain.upper()}"})
    assert r.status_code == 200, r.text
    block = r.json()
    digest = hashlib.sha256(f"{name}@{domain}".encode()).hexdigest()
    assert block == {"id": block["id"], "canonical_email_hash": digest}
    refused = await api.sign_up(unique(), f"{name}+other@{domain}")
    assert refused.status_code == 422, refused.text
    assert refused.json()["details"]["email"][0]["error"] == "ERR_BLOCKED"
    assert (await api.sign_up(unique(), f"{unique()}@{domain}")).status_code == 200
    tested = await api.client.post(f"{CANONICAL}/test", headers=owner.headers,
                                   json={"email": f"{name.upper()}@{domain}"})
    assert tested.status_code == 200 and [b["id"] for b in tested.json()] == [block["id"]]
    assert (await api.client.post(f"{CANONICAL}/test", headers=owner.headers,
                                  json={"email": f"x{name}@{domain}"})).json() == []
    listed = await api.client.get(CANONICAL, headers=owner.headers)
    assert [b["id"] for b in listed.json()] == [block["id"]]
    got = await api.client.get(f"{CANONICAL}/{block['id']}", headers=owner.headers)
    assert got.json() == block
    again = await api.client.post(CANONICAL, headers=owner.headers,
                                  json={"canonical_email_hash": digest})
    assert again.status_code == 422  # already blocked
    # moderators do not keep the network's blocks
    assert (await api.client.get(CANONICAL, headers=moderator.headers)).status_code == 403
    gone = await api.client.delete(f"{CANONICAL}/{block['id']}", headers=owner.headers)
    assert gone.status_code == 200 and gone.json() == {}
    assert (await api.sign_up(unique(), f"{name}@{domain}")).status_code == 200
    logged = await audit_actions(api, owner)
    assert "canonical_email_block.created" in logged
    assert "canonical_email_block.deleted" in logged


async def test_an_email_domain_block_refuses_that_domain_and_its_subdomains(api: Api) -> None:
    owner, _ = await team(api)
    domain = owner.email.split("@")[1]
    r = await api.client.post(DOMAINS, headers=owner.headers, json={"domain": domain.upper()})
    assert r.status_code == 200, r.text
    block = r.json()
    assert block["domain"] == domain and block["history"] == []
    assert block["created_at"].endswith("Z")
    refused = await api.sign_up(unique(), f"{unique()}@{domain}")
    assert refused.status_code == 422, refused.text
    assert refused.json()["details"]["email"][0]["error"] == "ERR_BLOCKED"
    assert [b["id"] for b in (await api.client.get(DOMAINS, headers=owner.headers)).json()
            ] == [block["id"]]
    assert (await api.client.delete(f"{DOMAINS}/{block['id']}", headers=owner.headers)
            ).status_code == 200
    assert (await api.sign_up(unique(), f"{unique()}@{domain}")).status_code == 200
    bad = await api.client.post(DOMAINS, headers=owner.headers, json={"domain": "not a domain"})
    assert bad.status_code == 422


async def test_ip_blocks_refuse_or_queue_sign_ups_from_their_range(api: Api) -> None:
    """The tests' client is on loopback: the gateway's rate limiter sees 127.0.0.1."""
    owner, _ = await team(api)
    domain = owner.email.split("@")[1]
    r = await api.client.post(IPS, headers=owner.headers, json={
        "ip": "127.0.0.0/8", "severity": "sign_up_block", "comment": "loopback",
        "expires_in": 3600})
    assert r.status_code == 200, r.text
    block = r.json()
    assert block["ip"] == "127.0.0.0/8" and block["severity"] == "sign_up_block"
    assert block["comment"] == "loopback" and block["expires_at"].endswith("Z")
    refused = await api.sign_up(unique(), f"{unique()}@{domain}")
    assert refused.status_code == 403, refused.text
    # invited people are the admins' choice: IP blocks do not apply to them
    assert (await api.user(domain=domain)).id

    r = await api.client.put(f"{IPS}/{block['id']}", headers=owner.headers,
                             json={"severity": "sign_up_requires_approval"})
    assert r.status_code == 200 and r.json()["severity"] == "sign_up_requires_approval"
    email = f"{unique()}@{domain}"
    signed = await api.sign_up(unique(), email)
    assert signed.status_code == 200, signed.text
    confirmed = await api.confirm(link_in(await api.next_mail(email)))
    assert confirmed.status_code == 200, confirmed.text
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert (r.status_code, r.json()) == (403, PENDING)  # in the approval queue
    pending = await api.client.get("/api/v2/admin/accounts", headers=owner.headers,
                                   params={"status": "pending"})
    assert [a["email"] for a in pending.json()] == [email]

    assert (await api.client.delete(f"{IPS}/{block['id']}", headers=owner.headers)
            ).status_code == 200
    assert (await api.sign_up(unique(), f"{unique()}@{domain}")).status_code == 200
    for wrong in ({"ip": "nope", "severity": "sign_up_block"},
                  {"ip": "10.0.0.0/8", "severity": "forever"},
                  {"severity": "sign_up_block"},
                  {"ip": "10.0.0.0/8", "severity": "no_access", "expires_in": -1}):
        r = await api.client.post(IPS, headers=owner.headers, json=wrong)
        assert r.status_code == 422, (wrong, r.text)


async def test_blocks_are_the_networks_own(api: Api) -> None:
    owner, [member] = await team(api, "member")
    stranger, _ = await team(api)
    made = (await api.client.post(IPS, headers=owner.headers, json={
        "ip": "192.0.2.1", "severity": "no_access"})).json()
    assert made["ip"] == "192.0.2.1/32"
    r = await api.client.get(f"{IPS}/{made['id']}", headers=stranger.headers)
    assert r.status_code == 404 and r.json() == NOT_FOUND
    assert (await api.client.delete(f"{IPS}/{made['id']}", headers=stranger.headers)
            ).status_code == 404
    assert (await api.client.get(IPS, headers=stranger.headers)).json() == []
    # another kind's id is not this kind's
    assert (await api.client.get(f"{DOMAINS}/{made['id']}", headers=owner.headers)
            ).status_code == 404
    assert (await api.client.get(IPS, headers=member.headers)).status_code == 403
    reads = await token_with(api, owner, owner, "admin:read:ip_blocks")
    assert (await api.client.get(IPS, headers=reads)).status_code == 200
    r = await api.client.post(IPS, headers=reads, json={"ip": "192.0.2.2",
                                                        "severity": "no_access"})
    assert r.status_code == 403 and r.json() == OUTSIDE
    other = await token_with(api, owner, owner, "admin:read:accounts")
    r = await api.client.get(CANONICAL, headers=other)
    assert r.status_code == 403 and r.json() == OUTSIDE
