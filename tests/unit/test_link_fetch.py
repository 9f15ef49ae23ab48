"""The SSRF guard's address rule (shared/link_fetch.py), table-driven, and its URL checks with
a resolver that answers what each case needs (no network)."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from shared.link_fetch import Guard, IPAddress, Refused, checked_address, public_address

REFUSED = [
    "127.0.0.1", "127.1.2.3", "0.0.0.0", "10.0.0.1", "10.255.255.255", "172.16.0.1",
    "172.31.255.254", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1",
    "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "fec0::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1",
    "2001:0::1", "2001:db8::1", "64:ff9b:1::1",
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111",
           "2a00:1450:4001:82a::200e", "::ffff:93.184.216.34"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not public_address(ipaddress.ip_address(address))
    assert not Guard().allows(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert public_address(ipaddress.ip_address(address))


def test_allow_private_and_named_exceptions() -> None:
    loopback = ipaddress.ip_address("127.0.0.1")
    assert Guard(allow_private=True).allows(loopback)
    only = Guard(also_allow=frozenset({loopback}))
    assert only.allows(loopback)
    assert not only.allows(ipaddress.ip_address("127.0.0.2"))
    assert not only.allows(ipaddress.ip_address("10.0.0.1"))


def answering(*addresses: str):
    async def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in addresses]
    return resolver


async def test_a_host_with_any_private_address_is_refused() -> None:
    guard = Guard()
    url = httpx.URL("https://mixed.example/")
    with pytest.raises(Refused):
        await checked_address(url, guard, answering("93.184.216.34", "10.0.0.1"))
    found = await checked_address(url, guard, answering("93.184.216.34"))
    assert str(found) == "93.184.216.34"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd",
                                 "gopher://example.com/", "javascript:alert(1)"])
async def test_only_http_and_https(url: str) -> None:
    with pytest.raises(Refused):
        await checked_address(httpx.URL(url), Guard(), answering("93.184.216.34"))


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://[::1]:8080/",
                                 "http://169.254.169.254/latest/meta-data/",
                                 "http://[::ffff:7f00:1]/", "http://0.0.0.0:5432/"])
async def test_ip_literals_are_checked_without_resolving(url: str) -> None:
    from shared.link_fetch import resolve
    with pytest.raises(Refused):
        await checked_address(httpx.URL(url), Guard(), resolve)
