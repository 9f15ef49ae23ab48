"""The webhook URL check and signatures, without servers: the SSRF guard refuses private
targets (a name like ``localhost`` too) unless the operator allow-listed them, and what
signing.py makes is what the ``standardwebhooks`` library (not Hubbub's code) accepts."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.notify.webhooks import signing, target
from shared import link_fetch

NO_ALLOW_LIST = link_fetch.Guard()


@pytest.mark.parametrize("url", [
    "http://localhost:8080/hooks", "http://127.0.0.1/hooks", "http://10.0.0.7/",
    "https://192.168.1.1/", "http://169.254.169.254/", "http://[::1]/", "http://[fe80::1]/",
    "http://100.64.0.1/", "http://[::ffff:10.0.0.1]/",
])
async def test_private_targets_are_refused_without_an_allow_list(url: str) -> None:
    with pytest.raises(target.UnsafeUrl, match="private"):
        await target.check(url, NO_ALLOW_LIST)


async def test_a_name_resolving_inside_is_refused() -> None:
    async def inside(host: str, port: int) -> list[link_fetch.IPAddress]:
        import ipaddress
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.9.8.7")]
    with pytest.raises(target.UnsafeUrl, match="private"):
        await target.check("https://partner.example/hooks", NO_ALLOW_LIST, inside)


async def test_the_allow_list_lets_its_addresses_through_only() -> None:
    allowing = link_fetch.Guard.allowing("127.0.0.1")
    await target.check("http://127.0.0.1:9/hooks", allowing)
    with pytest.raises(target.UnsafeUrl):
        await target.check("http://10.0.0.1/hooks", allowing)


def test_signatures_verify_with_the_standardwebhooks_library() -> None:
    secret, old = signing.new_secret(), signing.new_secret()
    body = b'{"type":"ping","timestamp":"2026-01-01T00:00:00.000Z","data":{}}'
    import time
    now = int(time.time())
    headers = signing.headers([secret], "12345", now, body)
    assert Webhook(secret).verify(body, headers) == {"type": "ping",
                                                     "timestamp": "2026-01-01T00:00:00.000Z",
                                                     "data": {}}
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
    both = signing.headers([secret, old], "12345", now, body)
    Webhook(secret).verify(body, both)
    Webhook(old).verify(body, both)
    assert len(signing.key_of(secret)) >= 24
