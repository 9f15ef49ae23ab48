"""Instance extras: peers (none: Hubbub does not federate), activity (a member's own network
only), languages, translation languages (none), the extended description, domain blocks."""

from __future__ import annotations

import time

from tests.helpers import Api, other_domain

WEEK_S = 7 * 86_400


async def test_the_public_extras_answer_mastodons_shapes(api: Api) -> None:
    assert (await api.client.get("/api/v1/instance/peers")).json() == []
    assert (await api.client.get("/api/v1/instance/domain_blocks")).json() == []
    assert (await api.client.get("/api/v1/instance/translation_languages")).json() == {}
    languages = (await api.client.get("/api/v1/instance/languages")).json()
    assert {"code": "en", "name": "English"} in languages
    assert all(set(lang) == {"code", "name"} for lang in languages)
    assert len({lang["code"] for lang in languages}) == len(languages)
    about = (await api.client.get("/api/v1/instance/extended_description")).json()
    assert set(about) == {"updated_at", "content"}
    assert about["updated_at"].endswith("Z") and isinstance(about["content"], str)


async def test_activity_counts_the_readers_network_by_week(api: Api) -> None:
    domain = other_domain()
    admin, member = await api.user(domain=domain), await api.user(domain=domain)
    await api.post(admin, "one")
    await api.post(member, "two")
    await api.user()  # acme.test: another network's sign-up and post are not counted here
    r = await api.client.get("/api/v1/instance/activity", headers=member.headers)
    assert r.status_code == 200
    weeks = r.json()
    assert len(weeks) == 12
    assert all(set(w) == {"week", "statuses", "logins", "registrations"} for w in weeks)
    assert all(isinstance(v, str) for w in weeks for v in w.values())
    starts = [int(w["week"]) for w in weeks]
    assert starts == sorted(starts, reverse=True)
    assert all(a - b == WEEK_S for a, b in zip(starts, starts[1:], strict=False))
    assert starts[0] <= time.time() < starts[0] + WEEK_S
    this_week = weeks[0]
    assert this_week["statuses"] == "2"
    assert this_week["registrations"] == "2"
    assert this_week["logins"] == "2"  # both were given tokens this week
    assert all(w["statuses"] == "0" for w in weeks[1:])


async def test_activity_needs_a_members_token(api: Api) -> None:
    r = await api.client.get("/api/v1/instance/activity")
    assert r.status_code == 401  # not shown to strangers, unlike Mastodon
    app_token = {"Authorization": f"Bearer {await api.app_token()}"}
    r = await api.client.get("/api/v1/instance/activity", headers=app_token)
    assert r.status_code == 422  # an app's token: no network to speak of
