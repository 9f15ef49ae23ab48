"""The redirect URI rules, one table: what an app may register, and what a request may name."""

from __future__ import annotations

import pytest

from services.gateway import redirect_uris
from shared import settings

OWN = "http://hubbub.internal:8080"


@pytest.mark.parametrize(("uri", "allowed"), [
    ("urn:ietf:wg:oauth:2.0:oob", True),
    ("https://app.example/cb?x=1", True),
    ("http://127.0.0.1:1234/cb", True),
    ("http://127.9.9.9/cb", True),
    ("http://[::1]:80/cb", True),
    ("http://localhost/cb", True),
    ("http://hubbub.internal:8080/web/callback", True),  # the web client, on the own origin
    ("com.example.app:/cb", True),
    ("com.example.app://cb", True),
    ("http://hubbub.internal:9999/cb", False),
    ("http://example.com/cb", False),
    ("http://10.0.0.1/cb", False),
    ("https://app.example/cb#frag", False),
    ("https://user@app.example/cb", False),
    ("https:///cb", False),
    ("http://127.0.0.1:port/cb", False),
    ("foo://cb", False),
    ("javascript:alert(1)", False),
    ("javascript://x/%0aalert(1)", False),
    ("data:text/html,x", False),
    ("relative/path", False),
    ("https://app.example/c b", False),
    ("https://app.example/" + "a" * 2000, False),
])
def test_what_an_app_may_register(uri: str, allowed: bool) -> None:
    assert (redirect_uris.problem(uri, OWN) is None) is allowed


def test_an_operator_may_accept_dotless_schemes_of_older_apps() -> None:
    legacy = ("oauth2redirect",)
    assert redirect_uris.problem("oauth2redirect://app.example/", OWN) is not None
    assert redirect_uris.problem("oauth2redirect://app.example/", OWN, legacy) is None
    assert redirect_uris.problem("foo://cb", OWN, legacy) is not None
    assert redirect_uris.problem("oauth2redirect://app.example/#x", OWN, legacy) is not None


@pytest.mark.parametrize("value", ["javascript", "data", "https", "bad scheme!", "1abc"])
def test_dangerous_or_malformed_extra_schemes_stop_the_start(value: str) -> None:
    with pytest.raises(ValueError, match="HUBBUB_OAUTH_EXTRA_SCHEMES"):
        settings.oauth_extra_schemes(value)


def test_extra_schemes_are_read_lower_cased() -> None:
    assert settings.oauth_extra_schemes("OAuth2Redirect, icecubesapp://") == (
        "oauth2redirect", "icecubesapp")


@pytest.mark.parametrize(("requested", "registered", "matched"), [
    ("https://app.example/cb", ["https://app.example/cb"], True),
    ("https://app.example/cb/", ["https://app.example/cb"], False),
    ("https://app.example:8443/cb", ["https://app.example/cb"], False),
    ("http://127.0.0.1:5555/cb", ["http://127.0.0.1:1234/cb"], True),
    ("http://127.0.0.1/cb", ["http://127.0.0.1:1234/cb"], True),
    ("http://127.0.0.1:5555/other", ["http://127.0.0.1:1234/cb"], False),
    ("http://127.0.0.1:5555/cb?x=1", ["http://127.0.0.1:1234/cb"], False),
    ("http://127.0.0.1:5555/cb#x", ["http://127.0.0.1:1234/cb"], False),
    ("http://localhost:5555/cb", ["http://127.0.0.1:1234/cb"], False),
    ("", ["https://app.example/cb"], False),
])
def test_what_a_request_may_name(requested: str, registered: list[str], matched: bool) -> None:
    assert (redirect_uris.matching(requested, registered) is not None) is matched
