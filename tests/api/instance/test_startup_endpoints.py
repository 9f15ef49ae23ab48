"""What clients ask for as they start: preferences, custom emojis, announcements, rules."""

from __future__ import annotations

from tests.helpers import Api, other_domain


async def test_preferences_follow_the_posting_defaults(api: Api) -> None:
    me = await api.user(domain=other_domain())
    r = await api.client.get("/api/v1/preferences", headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"posting:default:visibility": "public",
                        "posting:default:sensitive": False,
                        "posting:default:language": None,
                        "reading:expand:media": "default",
                        "reading:expand:spoilers": False}
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                               json={"source": {"privacy": "private", "sensitive": True,
                                                "language": "de"}})
    assert r.status_code == 200, r.text
    prefs = (await api.client.get("/api/v1/preferences", headers=me.headers)).json()
    assert (prefs["posting:default:visibility"], prefs["posting:default:sensitive"],
            prefs["posting:default:language"]) == ("private", True, "de")
    assert (await api.client.get("/api/v1/preferences")).status_code == 401


async def test_empty_server_lists_answer_instead_of_404(api: Api) -> None:
    me = await api.user(domain=other_domain())
    for path in ("/api/v1/custom_emojis", "/api/v1/instance/rules"):
        r = await api.client.get(path)  # public, as in Mastodon
        assert r.status_code == 200 and r.json() == [], path
    r = await api.client.get("/api/v1/announcements", headers=me.headers)
    assert r.status_code == 200 and r.json() == []
    assert (await api.client.get("/api/v1/announcements")).status_code == 401
