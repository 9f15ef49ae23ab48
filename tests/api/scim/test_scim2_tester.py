"""The third-party SCIM checker scim2-tester (PyPI ``scim2-tester``, the python-scim project's)
run against the live /scim/v2 of a fresh network: every check it makes passes (none ends in
ERROR; SKIPPED ones are listed, with why, in the assertion's message)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import scim2_client
import scim2_tester

from tests.helpers import Api
from tests.helpers.scim import directory


class HttpxSCIMClient(scim2_client.BaseSyncSCIMClient):
    """scim2-client's engine over httpx (its own engine uses httpx2, which Hubbub does not
    install): the three methods an engine provides."""

    def __init__(self, client: httpx.Client, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        url = self.client.build_request("GET", endpoint).url
        base = self.client.base_url
        return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port) and \
            url.path.startswith(base.path)

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.client.request(method, url, **kwargs)


class Addresses(Sequence[str]):
    """userName examples: a fresh address of the network's domain at each pick. Hubbub's
    userName is an address in a domain the network claimed, a rule of Hubbub's the checker
    cannot read in a schema (it would send random strings); it fills every other attribute
    with its own random values, and picks an example where a field has some."""

    def __init__(self, domain: str) -> None:
        self.domain = domain

    def __len__(self) -> int:
        return 1_000_000

    def __getitem__(self, index: Any) -> Any:
        return f"{uuid.uuid4().hex}@{self.domain}"


def run_checks(base_url: str, token: str, domain: str) -> list[Any]:
    with httpx.Client(base_url=f"{base_url}/scim/v2/", timeout=20,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        client = HttpxSCIMClient(http)
        # The models are the ones the server publishes (/Schemas, /ResourceTypes); the
        # checker still checks those endpoints itself.
        client.discover()
        for model in client.provider.models:
            field = model.model_fields.get("user_name")
            if field is not None:
                field.examples = Addresses(domain)
        return list(scim2_tester.check_server(client))


async def test_scim2_tester_passes(api: Api) -> None:
    d = await directory(api, label="scim2-tester")
    # The checker is synchronous; the gateway may share this event loop.
    results = await asyncio.to_thread(run_checks, api.stack.base_url, d.token,
                                      d.domain)
    Status = scim2_tester.Status
    failed = [(r.title, r.resource_type, r.reason) for r in results
              if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    skipped = [(r.title, r.resource_type, r.reason) for r in results
               if r.status == Status.SKIPPED]
    print(f"scim2-tester: {len(results)} checks, {len(skipped)} skipped: {skipped}")
    assert results and not failed, f"failed: {failed}\nskipped: {skipped}"
    assert sum(r.status == Status.SUCCESS for r in results) >= 30, skipped
