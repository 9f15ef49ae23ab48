"""After a reader's favourite, reblog or bookmark, posts caches the reader's flags for the
status (services/posts/flag_cache.py): the gateway renders its answer without asking posts
for them, and the answer says what the reader just did."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.helpers import Api


def flags_asked() -> float:
    return REGISTRY.get_sample_value("hubbub_service_request_seconds_count",
                                     {"endpoint": "posts.status.viewer_flags"}) or 0.0


async def test_an_action_answers_from_the_flags_it_cached(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    status = await api.post(author, "worth a star")
    before = flags_asked()
    shown = {}
    for action, flag in (("favourite", "favourited"), ("reblog", "reblogged"),
                         ("bookmark", "bookmarked"), ("unfavourite", "favourited")):
        r = await api.client.post(f"/api/v1/statuses/{status['id']}/{action}",
                                  headers=reader.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        shown[action] = (body["reblog"] or body)[flag]
    assert shown == {"favourite": True, "reblog": True, "bookmark": True, "unfavourite": False}
    assert flags_asked() == before
    # What the cache holds is what PostgreSQL says: a fresh read agrees.
    r = await api.client.get(f"/api/v1/statuses/{status['id']}", headers=reader.headers)
    got = r.json()
    assert (got["favourited"], got["reblogged"], got["bookmarked"]) == (False, True, True)
