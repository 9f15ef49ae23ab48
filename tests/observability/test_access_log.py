"""The access log (HUBBUB_ACCESS_LOG): one JSON line per request at the gateway and per verb a
service handles, sharing the request id, and never a token."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from shared import access_log
from tests.helpers import Api


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []
        self.raw: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.raw.append(record.getMessage())
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Lines]:
    monkeypatch.setattr(access_log, "enabled", True)
    handler = _Lines()
    access_log.LOGGER.addHandler(handler)
    access_log.LOGGER.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        access_log.LOGGER.removeHandler(handler)


def _http(lines: _Lines, route: str, method: str = "GET") -> list[dict]:
    return [line for line in lines.lines
            if line["kind"] == "http" and line["route"] == route and line["method"] == method]


async def test_a_request_logs_its_route_status_caller_and_no_token(api: Api, lines: _Lines
                                                                    ) -> None:
    me = await api.user()
    r = await api.client.get(f"/api/v1/accounts/verify_credentials?access_token={me.token}",
                             headers=me.headers)
    assert r.status_code == 200
    line = _http(lines, "/api/v1/accounts/verify_credentials")[-1]  # (user() asks too)
    assert line["status"] == 200 and line["latency_ms"] >= 0
    assert line["account_id"] == int(me.id)
    assert line["app_name"] == "tests" and isinstance(line["app_id"], int)
    assert len(line["request_id"]) == 16
    everything = "\n".join(lines.raw)
    assert me.token not in everything
    assert "access_token" not in everything and "verify_credentials?" not in everything


async def test_the_route_is_the_template_and_a_refusal_is_logged(api: Api, lines: _Lines
                                                                  ) -> None:
    me = await api.user()
    r = await api.client.get("/api/v1/statuses/123456", headers=me.headers)
    assert r.status_code == 404
    [line] = [x for x in lines.lines if x["kind"] == "http" and x["status"] == 404]
    assert line["route"].startswith("/api/v1/statuses/{") and "123456" not in line["route"]
    # The service's line for the same request, with the gateway's request id: posts answered
    # (no such status), the gateway made that a 404.
    [handled] = [x for x in lines.lines
                 if x["kind"] == "verb" and x["request_id"] == line["request_id"]]
    assert (handled["service"], handled["verb"], handled["outcome"]) == (
        "posts", "status.get", "ok")
    r = await api.client.get("/no-such-page/at-all")
    assert r.status_code == 404
    assert "no-such-page" not in "\n".join(lines.raw)  # the web client's catch-all's template


async def test_a_hooks_secret_in_its_path_is_not_logged(api: Api, lines: _Lines) -> None:
    r = await api.client.post("/api/hubbub/v1/hooks/s3cretHookValue123", json={"text": "x"})
    assert r.status_code in (401, 403, 404, 422)
    assert any(x["kind"] == "http" and x["method"] == "POST" for x in lines.lines)
    assert "s3cretHookValue123" not in "\n".join(lines.raw)


async def test_a_proxys_request_id_follows_the_request_into_the_services(api: Api,
                                                                         lines: _Lines) -> None:
    me = await api.user()
    r = await api.client.post("/api/v1/statuses", headers={**me.headers,
                                                           "X-Request-Id": "edge-42"},
                              json={"status": "logged"})
    assert r.status_code == 200
    [line] = _http(lines, "/api/v1/statuses", "POST")
    assert line["request_id"] == "edge-42" and line["status"] == 200
    verbs = [x for x in lines.lines if x["kind"] == "verb" and x["request_id"] == "edge-42"]
    assert {(x["service"], x["verb"], x["outcome"]) for x in verbs} >= {
        ("posts", "status.create", "ok")}
    assert "logged" not in "\n".join(lines.raw)  # no bodies


async def test_a_request_id_that_does_not_look_like_one_is_replaced(api: Api,
                                                                    lines: _Lines) -> None:
    r = await api.client.get("/api/v1/instance", headers={"X-Request-Id": "x" * 65})
    assert r.status_code == 200
    [line] = _http(lines, "/api/v1/instance")
    assert line["request_id"] != "x" * 65 and len(line["request_id"]) == 16


async def test_off_by_default(api: Api) -> None:
    handler = _Lines()
    access_log.LOGGER.addHandler(handler)
    try:
        assert access_log.enabled is False
        assert (await api.client.get("/api/v1/instance")).status_code == 200
        assert handler.lines == []
    finally:
        access_log.LOGGER.removeHandler(handler)


async def test_a_verb_that_fails_logs_its_error_code(api: Api, lines: _Lines) -> None:
    me = await api.user()
    r = await api.client.post("/api/v1/statuses/123457/favourite", headers=me.headers)
    assert r.status_code == 404
    line = _http(lines, "/api/v1/statuses/{status_id}/{action}", "POST")[-1]
    outcomes = {x["outcome"] for x in lines.lines
                if x["kind"] == "verb" and x["request_id"] == line["request_id"]}
    assert "not_found" in outcomes, outcomes
