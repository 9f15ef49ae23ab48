"""What the SCIM service says of itself (RFC 7643 5-7, RFC 7644 4): ServiceProviderConfig,
ResourceTypes, Schemas. The schemas list exactly the attributes Hubbub keeps: a directory
that maps more (the enterprise extension, phone numbers...) sends them and they are ignored."""

from __future__ import annotations

from typing import Any

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_RESULTS = 1000


def _attr(name: str, kind: str = "string", *, required: bool = False, multi: bool = False,
          mutability: str = "readWrite", uniqueness: str = "none", case_exact: bool = False,
          sub: list[dict[str, Any]] | None = None, refs: list[str] | None = None,
          canonical: list[str] | None = None, returned: str = "default",
          description: str = "") -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "name": name, "type": kind, "multiValued": multi, "description": description,
        "required": required, "caseExact": case_exact, "mutability": mutability,
        "returned": returned, "uniqueness": uniqueness}
    if sub is not None:
        shaped["subAttributes"] = sub
    if refs is not None:
        shaped["referenceTypes"] = refs
    if canonical is not None:
        shaped["canonicalValues"] = canonical
    return shaped


USER_ATTRIBUTES = [
    _attr("userName", required=True, uniqueness="server",
          description="The e-mail address, in a domain the network claimed"),
    _attr("name", "complex", sub=[_attr("formatted"), _attr("familyName"),
                                  _attr("givenName")]),
    _attr("displayName", description="The name Hubbub shows"),
    _attr("emails", "complex", multi=True, sub=[
        _attr("value"), _attr("type"), _attr("primary", "boolean")]),
    _attr("active", "boolean", description="false deactivates the account"),
]
GROUP_ATTRIBUTES = [
    _attr("displayName", required=True, uniqueness="server",
          description="The community's name"),
    _attr("members", "complex", multi=True, sub=[
        _attr("value", mutability="immutable"),
        _attr("$ref", "reference", mutability="immutable", refs=["User"]),
        # Only when asked for (attributes=members.display): a member's name is the user's, and
        # a group's members read back as they were written.
        _attr("display", mutability="readOnly", returned="request"),
        _attr("type", mutability="immutable", canonical=["User"],
              description="Members are users")]),
]


def _meta(base: str, kind: str, name: str) -> dict[str, str]:
    return {"resourceType": kind, "location": f"{base}/{kind}s/{name}"
            if kind != "ServiceProviderConfig" else f"{base}/ServiceProviderConfig"}


def schemas(base: str) -> list[dict[str, Any]]:
    return [
        {"schemas": [SCHEMA], "id": USER, "name": "User", "description": "User Account",
         "attributes": USER_ATTRIBUTES, "meta": _meta(base, "Schema", USER)},
        {"schemas": [SCHEMA], "id": GROUP, "name": "Group", "description": "Group",
         "attributes": GROUP_ATTRIBUTES, "meta": _meta(base, "Schema", GROUP)},
    ]


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {"schemas": [RESOURCE_TYPE], "id": "User", "name": "User", "endpoint": "/Users",
         "description": "User Account", "schema": USER, "schemaExtensions": [],
         "meta": _meta(base, "ResourceType", "User")},
        {"schemas": [RESOURCE_TYPE], "id": "Group", "name": "Group", "endpoint": "/Groups",
         "description": "Group (a community)", "schema": GROUP, "schemaExtensions": [],
         "meta": _meta(base, "ResourceType", "Group")},
    ]


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [SPC],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "Bearer token",
            "description": "A SCIM token a network admin made "
                           "(POST /api/hubbub/v1/network/scim_tokens)",
            "primary": True}],
        "meta": _meta(base, "ServiceProviderConfig", ""),
    }


def list_response(resources: list[dict[str, Any]], total: int, start_index: int
                  ) -> dict[str, Any]:
    return {"schemas": [LIST], "totalResults": total, "startIndex": start_index,
            "itemsPerPage": len(resources), "Resources": resources}
