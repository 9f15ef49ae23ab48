"""The web client's membership and admin screens in a real browser (Chromium, as
test_browser.py): a network admin claims a domain, changes a role and reads both in the audit
log; in approval mode a sign-up confirms, waits on "Awaiting approval" and gets in once an admin
approves it in the queue; single sign-on through a real OpenID provider (tests/oidc) makes the
account on the first sign-in, finds it again by ``sub`` after the address changed, and "SSO
required" refuses the password form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

from tests.helpers import Api, other_domain, unique
from tests.helpers import oidc_provider as oidc
from tests.helpers.browser import PASSWORD, new_context, signed_in
from tests.helpers.mail_drop import link_in, wait_for_mail

try:
    from playwright.async_api import Browser, Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)

pytestmark = pytest.mark.usefixtures("mail_drop")


async def admin_section(page: Page, tab: str) -> None:
    await page.get_by_role("link", name="Network admin").click()
    await page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name=tab).click()
    await expect(page.get_by_role("link", name=tab)).to_have_attribute("aria-current", "page")


async def test_admin_claims_a_domain_changes_a_role_and_reads_the_audit_log(
        browser: Browser, api: Api) -> None:
    base = api.stack.base_url
    domain = other_domain()
    admin = await api.user(domain=domain)
    colleague = await api.user(domain=domain)
    page = await signed_in(browser, base, admin)

    await admin_section(page, "Domains")
    claimed = f"{unique('sub')}.{domain}"
    await page.get_by_label("Domain", exact=True).fill(claimed)
    await page.get_by_role("button", name="Claim domain").click()
    await expect(page.get_by_role("status").filter(has_text="claimed")).to_contain_text(claimed)
    await expect(page.get_by_role("list", name="Claimed domains")).to_contain_text(claimed)

    await admin_section(page, "Members")
    role = page.get_by_label(f"Role of {colleague.username}")
    await expect(role).to_have_value("member")
    async with page.expect_response(lambda r: "/network/members/" in r.url) as changed:
        await role.select_option("moderator")
    assert (await changed.value).ok
    await expect(page.locator(".admin-status")).to_contain_text("is now Moderator")

    await admin_section(page, "Audit log")
    log = page.get_by_role("list", name="Audit log")
    changed_role = log.get_by_role("listitem").filter(has_text="account.role_changed")
    await expect(changed_role).to_contain_text(colleague.username)
    await expect(log.get_by_role("listitem").filter(has_text="domain.claimed").filter(
        has_text=claimed)).to_be_visible()
    await page.screenshot(path="tests/artifacts/admin-audit.png")

    # The colleague, now a moderator, has the admin link for moderation only: the admins'
    # sections say so.
    other = await signed_in(browser, base, colleague)
    await other.get_by_role("link", name="Network admin").click()
    tabs = other.get_by_role("navigation", name="Admin sections")
    await expect(tabs.get_by_role("link")).to_have_count(1)
    await expect(tabs.get_by_role("link", name="Moderation")).to_be_visible()
    await other.goto(f"{base}/web/admin/domains")
    await expect(other.get_by_text("Only your network's owners and admins")).to_be_visible()


@pytest.fixture
def approval_mode(api: Api) -> Iterator[None]:
    """Registrations "approval" for this test: graph reads it at confirmation, the gateway for
    its instance; both keep their Settings object, switched in place and back (a second graph
    on the same NATS would share the confirmations with the stack's)."""
    stack = api.stack
    held = {id(s): s for s in (stack.settings, stack.graph.settings, stack.gateway.settings)}
    for settings in held.values():
        msgspec.structs.force_setattr(settings, "registrations", "approval")
    try:
        yield
    finally:
        for settings in held.values():
            msgspec.structs.force_setattr(settings, "registrations", "open")


async def test_a_sign_up_awaits_approval_until_an_admin_approves(
        browser: Browser, api: Api, approval_mode: None) -> None:
    base = api.stack.base_url
    domain = other_domain()
    admin = await api.user(domain=domain)
    person = await sign_up_unconfirmed(browser, base, "erin", domain)
    await expect(person.get_by_role("heading", name="Confirm your e-mail")).to_be_visible()

    # The resend button mails a second link; the person opens it.
    await person.get_by_role("button", name="Resend the e-mail").click()
    await expect(person.get_by_role("status").filter(has_text="on its way")).to_be_visible()
    email = await person.evaluate("window.signedUpAs")
    message = await wait_for_mail(api.stack.settings.data_dir, email, after=1)
    tab = await person.context.new_page()
    await tab.goto(link_in(message))
    await tab.get_by_role("button", name="Confirm my address").click()
    await expect(tab.get_by_role("status")).to_contain_text("approves each new member")
    await tab.close()
    await expect(person.get_by_role("heading", name="Awaiting approval")).to_be_visible()
    await person.screenshot(path="tests/artifacts/awaiting-approval.png")

    admin_page = await signed_in(browser, base, admin)
    await admin_section(admin_page, "Approvals")
    username = email.split("@")[0]
    await admin_page.get_by_role("button", name=f"Approve {username}").click()
    await expect(admin_page.locator(".admin-status")).to_contain_text("was approved")

    # The person's page carries on by itself.
    await expect(person.get_by_role("heading", name="Home")).to_be_visible(timeout=15_000)
    # (an empty timeline: a labelled group until its first post makes it a feed)
    await expect(person.get_by_label("Home timeline")).to_be_visible()


async def sign_up_unconfirmed(browser: Browser, base: str, prefix: str, domain: str) -> Page:
    page = await (await new_context(browser)).new_page()
    username = unique(prefix)
    email = f"{username}@{domain}"
    await page.goto(base)
    await page.get_by_role("button", name="Create account").click()
    await page.wait_for_url("**/oauth/sign_up?**")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Work e-mail").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="Confirm your e-mail")).to_be_visible()
    await page.evaluate(f"window.signedUpAs = {email!r}")
    return page


# --- single sign-on ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def provider(stack: Any) -> Iterator[oidc.TestProvider]:
    with oidc.running(stack.base_url + "/auth/sso/callback") as running:
        yield running


async def sso_sign_in(page: Page, base: str, provider: oidc.TestProvider, email: str, *,
                      sub: str | None) -> None:
    """Through the organisation's provider to Home. ``sub``: the user to sign in as on the
    provider's login page; None: the provider still has this browser's session from an earlier
    sign-in (signing out of Hubbub does not sign out of the organisation, as with any single
    sign-on), so it answers at once without asking."""
    await page.goto(base)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/oauth/authorize?**")
    await page.get_by_label("Work e-mail address").fill(email)
    async with page.expect_response(lambda r: r.url.startswith(f"{provider.issuer}/auth?")):
        await page.get_by_role("button", name="Continue with your organisation").click()
    if sub is not None:
        await page.wait_for_url(f"{provider.issuer}/interaction/**")
        await page.get_by_label("User").fill(sub)
        await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Home")).to_be_visible()


async def test_single_sign_on_in_the_browser(browser: Browser, api: Api,
                                             provider: oidc.TestProvider) -> None:
    base = api.stack.base_url
    domain = other_domain()
    admin = await api.user(domain=domain)
    member = await api.user(domain=domain)
    r = await api.client.put("/api/hubbub/v1/network/sso", headers=admin.headers, json={
        "issuer": provider.issuer, "client_id": oidc.CLIENT_ID,
        "client_secret": oidc.CLIENT_SECRET, "display_name": "Acme ID"})
    assert r.status_code == 200, r.text

    # A new person: their account is made at their first sign-in.
    sub, local = unique("sub"), unique("pat")
    provider.set_user(sub, email=f"{local}@{domain}", email_verified=True, name="Pat Doe",
                      preferred_username=local)
    page = await (await new_context(browser)).new_page()
    await sso_sign_in(page, base, provider, f"{local}@{domain}", sub=sub)
    token = await page.evaluate("localStorage.getItem('hubbub.token')")
    first = (await api.client.get("/api/v1/accounts/verify_credentials",
                                  headers={"Authorization": f"Bearer {token}"})).json()
    assert first["hubbub"]["network"] == domain

    # Signed out of Hubbub, their address changes at the provider, which still knows this
    # browser: straight back, to the same account, found by sub (the ID token has the new
    # address).
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    renamed = f"{unique('renamed')}@{domain}"
    provider.set_user(sub, email=renamed, email_verified=True, name="Pat Doe",
                      preferred_username=local)
    await sso_sign_in(page, base, provider, renamed, sub=None)
    token = await page.evaluate("localStorage.getItem('hubbub.token')")
    again = (await api.client.get("/api/v1/accounts/verify_credentials",
                                  headers={"Authorization": f"Bearer {token}"})).json()
    assert again["id"] == first["id"]

    # Single sign-on required: the page refuses the member's password.
    r = await api.client.put("/api/hubbub/v1/network/sso", headers=admin.headers, json={
        "issuer": provider.issuer, "client_id": oidc.CLIENT_ID, "display_name": "Acme ID",
        "required": True})
    assert r.status_code == 200 and r.json()["required"] is True
    other = await (await new_context(browser)).new_page()
    await other.goto(base)
    await other.get_by_role("button", name="Sign in").click()
    await other.wait_for_url("**/oauth/authorize?**")
    await other.get_by_label("E-mail or username").fill(member.email)
    await other.get_by_label("Password").fill(member.password)
    await other.get_by_role("button", name="Sign in and allow").click()
    await expect(other.get_by_text("requires single sign-on")).to_be_visible()
    assert await other.evaluate("localStorage.getItem('hubbub.token')") is None
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/api/v1/accounts/verify_credentials")).status_code == 401
