"""Confirmed e-mail before membership (#14): a sign-up without an invitation is nobody in its
network until the link mailed to its address is followed; the link works once; nobody becomes
an admin by signing up; and sign-up does not tell whether an address has an account (#15)."""

from __future__ import annotations

from tests.helpers import Api, other_domain, unique
from tests.helpers.mail_drop import link_in, text_of

UNCONFIRMED = {"error": "Your login is missing a confirmed e-mail address"}


async def signed_up(api: Api, domain: str) -> tuple[str, str, dict[str, str]]:
    username = unique()
    email = f"{username}@{domain}"
    r = await api.sign_up(username, email)
    assert r.status_code == 200, r.text
    return username, email, {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_a_sign_up_reads_and_posts_nothing_until_its_link_is_followed(api: Api) -> None:
    domain = other_domain()
    owner = await api.user(domain=domain)
    username, email, headers = await signed_up(api, domain)
    for method, path, body in (("GET", "/api/v1/accounts/verify_credentials", None),
                               ("GET", "/api/v1/timelines/home", None),
                               ("GET", "/api/v1/timelines/public", None),
                               ("GET", "/api/hubbub/v1/network", None),
                               ("POST", "/api/v1/statuses", {"status": "hello"})):
        r = await api.client.request(method, path, headers=headers, json=body)
        assert (r.status_code, r.json()) == (403, UNCONFIRMED), (path, r.text)
    assert (await api.client.get("/api/v1/emails/check_confirmation",
                                 headers=headers)).json() is False
    # Nobody in the network sees it: not a member, not in search.
    members = (await api.client.get("/api/hubbub/v1/network/members",
                                    headers=owner.headers)).json()
    assert username not in [m["username"] for m in members]
    r = await api.client.get("/api/v1/accounts/lookup", headers=owner.headers,
                             params={"acct": username})
    assert r.status_code == 404

    mail = await api.next_mail(email)
    link = link_in(mail)
    assert link.startswith(f"{api.client.base_url}/auth/confirmation?confirmation_token=")
    # Opening the link (as a mail scanner does) confirms nothing: only the page's button does.
    assert (await api.client.get(link)).status_code == 200
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert r.status_code == 403
    r = await api.confirm(link)
    assert r.status_code == 200 and "confirmed" in r.text

    me = await api.client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert me.status_code == 200, me.text
    network = (await api.client.get("/api/hubbub/v1/network", headers=headers)).json()
    assert (network["domain"], network["role"]) == (domain, "member")  # never an admin
    assert (await api.client.get("/api/v1/emails/check_confirmation",
                                 headers=headers)).json() is True
    r = await api.client.post("/api/v1/statuses", headers=headers, json={"status": "joined"})
    assert r.status_code == 200, r.text
    # The link works once.
    again = await api.confirm(link)
    assert again.status_code == 422


async def test_forged_or_missing_confirmation_codes_are_refused(api: Api) -> None:
    r = await api.client.post("/auth/confirmation", data={"confirmation_token": "forged"})
    assert r.status_code == 422 and "not valid" in r.text
    r = await api.client.post("/auth/confirmation", data={"confirmation_token": "x" * 5000})
    assert r.status_code == 422
    assert (await api.client.get("/auth/confirmation")).status_code == 400


async def test_resending_mails_a_new_link_and_the_old_one_stops(api: Api) -> None:
    domain = other_domain()
    await api.user(domain=domain)
    _, email, headers = await signed_up(api, domain)
    first = link_in(await api.next_mail(email))
    r = await api.client.post("/api/v1/emails/confirmations", headers=headers)
    assert r.status_code == 200, r.text
    second = link_in(await api.next_mail(email, after=1))
    assert second != first
    assert (await api.confirm(first)).status_code == 422
    assert (await api.confirm(second)).status_code == 200
    r = await api.client.post("/api/v1/emails/confirmations", headers=headers)
    assert r.status_code == 403  # confirmed already: nothing to resend


async def test_resend_can_correct_the_address_within_the_organisation(api: Api) -> None:
    domain = other_domain()
    await api.user(domain=domain)
    _, email, headers = await signed_up(api, domain)
    corrected = f"{unique()}@{domain}"
    r = await api.client.post("/api/v1/emails/confirmations", headers=headers,
                              json={"email": corrected})
    assert r.status_code == 200, r.text
    link = link_in(await api.next_mail(corrected))
    r = await api.client.post("/api/v1/emails/confirmations", headers=headers,
                              json={"email": f"{unique()}@{other_domain()}"})
    assert r.status_code == 422  # another organisation's address (or none's)
    assert (await api.confirm(link)).status_code == 200
    assert (await api.client.get("/api/v1/accounts/verify_credentials",
                                 headers=headers)).status_code == 200


async def test_sign_up_with_an_address_that_has_an_account_answers_alike(api: Api) -> None:
    """#15: the answer must not tell whether an address has an account; its owner is told by
    mail, and the second sign-up can never be confirmed."""
    domain = other_domain()
    member = await api.user(domain=domain)
    fresh = await api.sign_up(unique(), f"{unique()}@{domain}")
    taken = await api.sign_up(unique(), member.email)
    assert (fresh.status_code, sorted(fresh.json())) == (taken.status_code,
                                                         sorted(taken.json()))
    headers = {"Authorization": f"Bearer {taken.json()['access_token']}"}
    mail = await api.next_mail(member.email, containing="already")
    assert "/auth/confirmation" not in text_of(mail)
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert (r.status_code, r.json()) == (403, UNCONFIRMED)
    # The owner's own account is untouched.
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=member.headers)
    assert r.status_code == 200


async def test_an_unclaimed_domain_makes_no_network(api: Api) -> None:
    domain = other_domain()
    for _ in range(2):  # the first sign-up of a domain is no different from the second
        r = await api.sign_up(unique(), f"{unique()}@{domain}")
        assert r.status_code == 422, r.text
        assert r.json()["details"]["email"][0]["error"] == "ERR_BLOCKED"
    assert api.mails_to(f"x@{domain}") == []
