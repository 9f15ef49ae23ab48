"""SCIM clients for the tests: a fresh network with a SCIM token, and request helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.helpers import Api, User, other_domain, unique

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Directory:
    """A network (its admin) and a SCIM token for it."""
    admin: User
    domain: str
    token: str
    token_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def directory(api: Api, label: str = "entra") -> Directory:
    domain = other_domain()
    admin = await api.user(domain=domain)
    r = await api.client.post("/api/hubbub/v1/network/scim_tokens", headers=admin.headers,
                              json={"label": label})
    assert r.status_code == 200, r.text
    return Directory(admin=admin, domain=domain, token=r.json()["token"],
                     token_id=r.json()["id"])


def user_body(d: Directory, local: str | None = None, **extra: Any) -> dict[str, Any]:
    local = local or unique("p")
    return {"schemas": [USER], "userName": f"{local}@{d.domain}",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": f"{local}@{d.domain}", "type": "work", "primary": True}],
            "active": True, "externalId": unique("ext"), **extra}


async def create_user(api: Api, d: Directory, **extra: Any) -> dict[str, Any]:
    r = await api.client.post("/scim/v2/Users", headers=d.headers, json=user_body(d, **extra))
    assert r.status_code == 201, r.text
    return r.json()


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def assert_scim_error(r: httpx.Response, status: int, scim_type: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/scim+json"), r.headers
    body = r.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status), body
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
