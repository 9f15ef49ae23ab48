"""WebFinger answers whether a username exists: it is counted per client address like the API,
so that guessing names is as slow as any other request (services/gateway/rate_limits.py)."""

from __future__ import annotations

from services.gateway.rate_limits import counted_path


def test_discovery_is_counted_with_the_api() -> None:
    for path in ("/.well-known/webfinger", "/.well-known/nodeinfo", "/api/v1/instance",
                 "/oauth/token"):
        assert counted_path(path), path
    for path in ("/healthz", "/metrics", "/nodeinfo/2.0"):
        assert not counted_path(path), path
