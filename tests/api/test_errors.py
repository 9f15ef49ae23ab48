"""Errors are Mastodon-style JSON with the right status, never a 500 for bad input."""

from __future__ import annotations

from tests.helpers import Api


async def test_unknown_route_is_json_404(api: Api) -> None:
    r = await api.client.get("/api/v1/nothing/here")
    assert r.status_code == 404
    assert r.json() == {"error": "Record not found"}


async def test_unknown_status_and_account_are_404(api: Api) -> None:
    user = await api.user()
    for path in ("/api/v1/statuses/1", "/api/v1/statuses/abc", "/api/v1/accounts/42"):
        r = await api.client.get(path, headers=user.headers)
        assert r.status_code == 404, path
        assert r.json()["error"] == "Record not found"


async def test_app_registration_validates(api: Api) -> None:
    r = await api.client.post("/api/v1/apps", json={"redirect_uris": "urn:ietf:wg:oauth:2.0:oob"})
    assert r.status_code == 422 and "client_name" in r.json()["error"]
    r = await api.client.post("/api/v1/apps", json={"client_name": "x", "scopes": "root"})
    assert r.status_code == 422 and "scope" in r.json()["error"]
    r = await api.client.post("/api/v1/apps", content=b"{nope",
                              headers={"Content-Type": "application/json"})
    assert r.status_code == 400


async def test_app_token_cannot_post(api: Api) -> None:
    r = await api.client.post("/api/v1/statuses", json={"status": "hi"},
                              headers={"Authorization": f"Bearer {await api.app_token()}"})
    assert r.status_code == 422
    assert "authenticated user" in r.json()["error"]


async def test_unsupported_grant_type(api: Api) -> None:
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "magic", "client_id": app["client_id"],
        "client_secret": app["client_secret"]})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


async def test_health_endpoints(api: Api) -> None:
    assert (await api.client.get("/healthz")).status_code == 200
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    metrics = await api.client.get("/metrics")
    assert "hubbub_events_processed_total" in metrics.text
