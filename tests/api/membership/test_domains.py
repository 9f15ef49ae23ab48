"""Claimed domains (#14): a network's admins claim more e-mail domains for it; addresses of a
claimed domain sign up into that network; a domain is one network's only."""

from __future__ import annotations

from tests.helpers import Api, other_domain, unique
from tests.helpers.mail_drop import link_in

DOMAINS = "/api/hubbub/v1/network/domains"


async def test_an_admin_claims_a_domain_and_its_addresses_join_the_network(api: Api) -> None:
    home = other_domain()
    owner = await api.user(domain=home)
    member = await api.user(domain=home)
    brand = other_domain()
    listed = (await api.client.get(DOMAINS, headers=owner.headers)).json()
    assert [(d["domain"], d["primary"]) for d in listed] == [(home, True)]

    r = await api.client.post(DOMAINS, headers=member.headers, json={"domain": brand})
    assert r.status_code == 403  # members do not claim
    r = await api.client.post(DOMAINS, headers=owner.headers, json={"domain": brand.upper()})
    assert r.status_code == 200, r.text
    assert [d["domain"] for d in r.json()] == [home, brand]

    email = f"{unique()}@{brand}"
    signed = await api.sign_up(unique(), email)
    assert signed.status_code == 200, signed.text
    assert (await api.confirm(link_in(await api.next_mail(email)))).status_code == 200
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    network = (await api.client.get("/api/hubbub/v1/network", headers=headers)).json()
    assert network["domain"] == home  # the claiming network, not one of its own

    audit = (await api.client.get("/api/hubbub/v1/network/audit", headers=owner.headers)).json()
    assert any(e["action"] == "domain.claimed" and e["details"] == {"domain": brand}
               for e in audit)


async def test_a_domain_belongs_to_one_network(api: Api) -> None:
    first, second = other_domain(), other_domain()
    owner = await api.user(domain=first)
    rival = await api.user(domain=second)
    r = await api.client.post(DOMAINS, headers=rival.headers, json={"domain": first})
    assert r.status_code == 409
    for bad in ("not a domain", "x" * 300, "localhost", "a..b.test"):
        r = await api.client.post(DOMAINS, headers=owner.headers, json={"domain": bad})
        assert r.status_code == 422, (bad, r.text)
    # The network's own domain is not released; someone else's is not this network's to give.
    assert (await api.client.delete(f"{DOMAINS}/{first}", headers=owner.headers)
            ).status_code == 404
    assert (await api.client.delete(f"{DOMAINS}/{second}", headers=owner.headers)
            ).status_code == 404
    extra = other_domain()
    assert (await api.client.post(DOMAINS, headers=owner.headers, json={"domain": extra})
            ).status_code == 200
    r = await api.client.delete(f"{DOMAINS}/{extra}", headers=owner.headers)
    assert r.status_code == 200 and [d["domain"] for d in r.json()] == [first]
    # Released: its addresses sign up nowhere.
    r = await api.sign_up(unique(), f"{unique()}@{extra}")
    assert r.status_code == 422


async def test_domain_routes_need_a_token(api: Api) -> None:
    """(Which scopes: tests/security/test_scopes.py walks every route with every scope.)"""
    owner = await api.user(domain=other_domain())
    r = await api.client.get(DOMAINS)
    assert r.status_code == 401
    assert (await api.client.get(DOMAINS, headers=owner.headers)).status_code == 200
