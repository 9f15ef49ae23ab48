"""Registration modes and the operator's tools (#14): ``approval`` queues a confirmed sign-up
for its network's admins, ``closed`` takes invitations only; ``hubbub network create`` makes a
network and invites its owner; the first-run setup needs the setup code.

The stack's graph runs in ``open`` mode; the other modes are exercised on its use cases with
settings of their own, over the same database."""

from __future__ import annotations

import asyncio
import os
import sys

import msgspec
import pytest

from services.graph.mail import link_digest
from services.graph.use_cases.confirm_email import ConfirmAddress
from services.graph.use_cases.create_network import CreateNetwork, FirstRunSetup
from services.graph.use_cases.register_account import CLOSED, RegisterAccount
from shared import errors
from shared.contracts.graph import RegisterWithInvitation
from shared.contracts.membership import ConfirmEmail, SetUpInstance
from tests.helpers import Api, other_domain, unique
from tests.helpers.mail_drop import link_in

PENDING = {"error": "Your login is currently pending approval"}


async def test_approval_mode_queues_a_confirmed_sign_up_until_an_admin_approves(
        api: Api) -> None:
    stack = api.stack
    domain = other_domain()
    owner = await api.user(domain=domain)
    approval = msgspec.structs.replace(stack.settings, registrations="approval")
    confirm = ConfirmAddress(stack.graph.pool, stack.graph.redis.main, approval)
    people = []
    for _ in range(2):
        email = f"{unique()}@{domain}"
        r = await api.sign_up(unique(), email)
        assert r.status_code == 200, r.text
        token = link_in(await api.next_mail(email)).split("confirmation_token=")[1]
        done = await confirm(ConfirmEmail(token=token))
        assert done.state == "awaiting_approval"
        # (The stack's gateways hear AccountJoined only on approval; the record changed now.)
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = await api.client.get("/api/v1/accounts/verify_credentials", headers=headers)
        assert (r.status_code, r.json()) == (403, PENDING)
        people.append((done.account_id, email, headers))

    queue = await api.client.get("/api/hubbub/v1/network/requests", headers=owner.headers)
    assert queue.status_code == 200, queue.text
    assert {a["id"] for a in queue.json()} == {str(p[0]) for p in people}
    (approved_id, approved_email, approved), (rejected_id, rejected_email, rejected) = people
    stranger = await api.user(domain=other_domain())
    r = await api.client.post(f"/api/hubbub/v1/network/requests/{approved_id}/approve",
                              headers=stranger.headers)
    assert r.status_code == 404  # another network's admin: not in its queue
    member = await api.user(domain=domain)
    r = await api.client.post(f"/api/hubbub/v1/network/requests/{approved_id}/approve",
                              headers=member.headers)
    assert r.status_code == 403
    r = await api.client.post(f"/api/hubbub/v1/network/requests/{approved_id}/approve",
                              headers=owner.headers)
    assert r.status_code == 200, r.text
    r = await api.client.post(f"/api/hubbub/v1/network/requests/{rejected_id}/reject",
                              headers=owner.headers)
    assert r.status_code == 200, r.text
    await api.next_mail(approved_email, containing="approved")
    await api.next_mail(rejected_email, containing="not approved")

    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=approved)
    assert r.status_code == 200, r.text
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=rejected)
    assert r.status_code == 401
    queue = await api.client.get("/api/hubbub/v1/network/requests", headers=owner.headers)
    assert queue.json() == []
    actions = [e["action"] for e in (await api.client.get(
        "/api/hubbub/v1/network/audit", headers=owner.headers)).json()]
    assert "account.approved" in actions and "account.rejected" in actions


async def test_closed_mode_takes_invitations_only(api: Api) -> None:
    stack = api.stack
    domain = other_domain()
    await api.user(domain=domain)
    closed = msgspec.structs.replace(stack.settings, registrations="closed")
    register = RegisterAccount(stack.graph.pool, stack.graph.passwords, closed)
    email = f"{unique()}@{domain}"
    with pytest.raises(errors.Forbidden) as refused:
        await register(RegisterWithInvitation(username=unique(), email=email,
                                              password="long enough"))
    assert refused.value.message == CLOSED
    code = await stack.invitation_for(domain, email)
    account = await register(RegisterWithInvitation(username=unique(), email=email,
                                                    password="long enough", invite_code=code))
    assert account.confirmed and account.approved


async def test_the_instance_reports_its_mode(api: Api) -> None:
    v1 = (await api.client.get("/api/v1/instance")).json()
    v2 = (await api.client.get("/api/v2/instance")).json()
    assert (v1["registrations"], v1["approval_required"]) == (True, False)
    assert v2["registrations"]["enabled"] is True
    assert v2["registrations"]["approval_required"] is False
    assert "confirm" in v2["registrations"]["message"]


async def test_hubbub_network_create_makes_a_network_and_invites_its_owner(api: Api) -> None:
    stack = api.stack
    domain = other_domain()
    admin = f"{unique()}@{domain}"
    env = {**os.environ, "HUBBUB_DATABASE_URL": stack.settings.service_database_urls["graph"],
           "HUBBUB_PUBLIC_URL": stack.base_url, "HUBBUB_DATA_DIR": stack.settings.data_dir}

    async def run(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.cli", "network", "create", *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        return proc.returncode or 0, out.decode(), err.decode()

    status, out, err = await run(domain, "--admin", admin, "--name", "Acme Widgets")
    assert status == 0, err
    link = next(word for word in out.split() if "/invite/" in word)
    assert link == link_in(await api.next_mail(admin, containing="invited"))
    code = link.rsplit("/", 1)[1]
    r = await api.sign_up(unique(), admin, invite_code=code)
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    network = (await api.client.get("/api/hubbub/v1/network", headers=headers)).json()
    assert (network["domain"], network["name"], network["role"]) == (
        domain, "Acme Widgets", "owner")
    # A domain is claimed once; a bad one is refused with the reason.
    status, _, err = await run(domain, "--admin", admin)
    assert status == 1 and "claimed" in err
    status, _, err = await run("not a domain", "--admin", admin)
    assert status == 1 and "domain" in err


async def test_first_run_setup_needs_the_code_and_no_network(api: Api) -> None:
    stack = api.stack
    await api.user()  # the stack has networks: setup is over
    setup = FirstRunSetup(CreateNetwork(stack.graph.pool, stack.settings))
    async with stack.graph.pool.acquire() as conn:
        await conn.execute("INSERT INTO instance_setup (code_hash) VALUES ($1) "
                           "ON CONFLICT (only_row) DO UPDATE SET code_hash = $1",
                           link_digest("the-code"))
    try:
        with pytest.raises(errors.Forbidden, match="set up already"):
            await setup(SetUpInstance(setup_code="the-code", domain=other_domain(),
                                      admin_email="a@b.test"))
    finally:
        async with stack.graph.pool.acquire() as conn:
            await conn.execute("DELETE FROM instance_setup")
    r = await api.client.get("/setup")
    assert r.status_code == 404
    r = await api.client.post("/setup", data={"setup_code": "guess", "domain": other_domain(),
                                              "admin_email": "a@b.test"})
    assert r.status_code == 403
