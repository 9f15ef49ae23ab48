"""axe-core on every screen of the web client (Chromium, as test_browser.py): no serious or
critical violation of WCAG 2.x A/AA rules, signed out (the landing page, the sign-in page) and
signed in as a network's owner, with something on each screen (posts with a poll, a picture and
a link, a direct message, notifications, a filter, a scheduled post, a community).

axe-core comes from npm (tests/a11y, installed by `make test`) and is injected into the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Api, other_domain
from tests.helpers.browser import ARTIFACTS, CHROMIUM, new_context, signed_in
from tests.helpers.media import uploaded

AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"

if not CHROMIUM.exists():
    pytest.skip("Chromium not installed: the browser tests need /usr/bin/chromium",
                allow_module_level=True)
try:
    from playwright.async_api import Browser, Page
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)

BAD = {"serious", "critical"}
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'] });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
}"""


async def violations(page: Page) -> list[dict[str, Any]]:
    """axe's serious and critical findings on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = await page.evaluate(RUN_AXE)
    return [v for v in found if v["impact"] in BAD]


async def settled(page: Page, path: str) -> None:
    """``path`` opened inside the client (its own router) and drawn."""
    await page.evaluate("(path) => { history.pushState({}, '', path); "
                        "dispatchEvent(new PopStateEvent('popstate')); }", path)
    await page.wait_for_load_state("networkidle")
    await page.wait_for_timeout(300)  # (the view's last paint after its data)


async def test_no_serious_violation_on_any_screen(browser: Browser, api: Api) -> None:
    assert AXE.exists(), "axe-core missing: run `make test` (it installs tests/a11y)"
    domain = other_domain()
    owner = await api.user(domain=domain)
    friend = await api.user(domain=domain)
    await api.follow(owner, friend)
    await api.follow(friend, owner)
    picture = (await uploaded(api.client, friend.headers, description="a chart"))["id"]
    await api.idle()
    post = await api.post(friend, "Quarterly numbers #planning", media_ids=[picture])
    await api.post(friend, "Lunch?", poll={"options": ["noodles", "salad"], "expires_in": 3600})
    await api.post(friend, f"@{owner.username} a word in private", visibility="direct")
    await api.client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=owner.headers)
    await api.client.post("/api/v2/filters", headers=owner.headers, json={
        "title": "spoilers", "context": ["home"], "filter_action": "warn",
        "keywords_attributes": [{"keyword": "finale"}]})
    await api.client.post("/api/v1/statuses", headers=owner.headers, json={
        "status": "later", "scheduled_at": "2099-01-01T10:00:00Z"})
    community = await api.client.post("/api/hubbub/v1/communities", headers=owner.headers,
                                      json={"name": "Design", "description": "Pixels"})
    await api.idle()

    found: dict[str, list[dict[str, Any]]] = {}
    ARTIFACTS.mkdir(exist_ok=True)
    # (axe is injected as a script: the pages' CSP would refuse it, rightly, so it is bypassed)
    anonymous = await (await new_context(browser, bypass_csp=True)).new_page()
    await anonymous.goto(api.stack.base_url)
    await anonymous.wait_for_load_state("networkidle")
    found["landing"] = await violations(anonymous)
    await anonymous.get_by_role("button", name="Sign in").click()
    await anonymous.wait_for_url("**/oauth/authorize?**")
    found["sign-in page"] = await violations(anonymous)

    page = await signed_in(browser, api.stack.base_url, owner, bypass_csp=True)
    paths = ["/", "/web/notifications", "/web/notifications/requests", "/web/conversations",
             "/web/network", "/web/network/people", "/web/communities", "/web/search",
             "/web/bookmarks", "/web/favourites", "/web/scheduled", f"/@{friend.username}",
             f"/@{friend.username}/followers", f"/@{friend.username}/{post['id']}",
             "/tags/planning", "/web/settings", "/web/settings/filters",
             "/web/settings/profile", "/web/settings/feeds", "/web/admin",
             "/web/admin/domains", "/web/admin/members", "/web/admin/requests", "/web/admin/sso",
             "/web/admin/scim", "/web/admin/webhooks", "/web/admin/audit"]
    if community.status_code == 200:
        paths += [f"/web/communities/{community.json()['id']}",
                  f"/web/communities/{community.json()['id']}/members",
                  f"/web/communities/{community.json()['id']}/integrations"]
    for path in paths:
        await settled(page, path)
        found[path] = await violations(page)
    await page.emulate_media(color_scheme="dark")
    await settled(page, "/")
    found["home, dark"] = await violations(page)
    await page.set_viewport_size({"width": 390, "height": 844})
    await settled(page, "/")
    found["home, phone"] = await violations(page)

    bad = {screen: v for screen, v in found.items() if v}
    assert bad == {}, bad
