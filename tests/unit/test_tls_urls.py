"""shared/tls.py: the TLS options read off the servers' URLs (the handshakes themselves are in
tests/security/test_tls.py)."""

from __future__ import annotations

import ssl

import pytest

from shared.tls import nats_tls, nats_tls_servers, redis_ssl_context


def test_nats_url_loses_hubbub_options_and_keeps_the_rest() -> None:
    ca = ssl.get_default_verify_paths().cafile  # any readable CA file will do
    if ca is None:
        pytest.skip("no system CA file to load")
    url, context = nats_tls(f"tls://u:p@nats:4222?ca_file={ca}&x=1")
    assert url == "tls://u:p@nats:4222?x=1"
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_nats_url_without_options_is_left_to_nats_py() -> None:
    assert nats_tls("nats://127.0.0.1:4222") == ("nats://127.0.0.1:4222", None)


def test_rediss_verifies_by_default_and_plain_has_no_context() -> None:
    assert redis_ssl_context("redis://127.0.0.1:6379/0") is None
    context = redis_ssl_context("rediss://valkey:6380/0")
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_rediss_turned_off_only_in_redis_py_words() -> None:
    context = redis_ssl_context("rediss://valkey:6380/0?ssl_cert_reqs=none")
    assert context is not None
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname



def test_a_list_of_nats_servers_shares_one_context() -> None:
    ca = ssl.get_default_verify_paths().cafile
    if ca is None:
        pytest.skip("no system CA file to load")
    urls, context = nats_tls_servers([f"tls://n1:4222?ca_file={ca}", f"tls://n2:4222?ca_file={ca}"])
    assert urls == ["tls://n1:4222", "tls://n2:4222"]
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED
