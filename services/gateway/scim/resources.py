"""Users and groups as SCIM JSON, and back: what a body says, checked against the schema
(services/gateway/scim/discovery.py) before anything is asked of graph. Attribute names are
case-insensitive (RFC 7643 2.1); unknown attributes are ignored."""

from __future__ import annotations

from typing import Any

from services.gateway.scim import discovery
from services.gateway.scim.errors import ScimError, invalid_syntax, invalid_value
from shared.contracts import scim as api
from shared.ids import parse_id

MAX_TEXT = 1000
MAX_EMAILS = 20
# Canonical names by lower-case name, per resource (sub-attributes under "parent.").
USER_NAMES = {n.lower(): n for n in (
    "userName", "externalId", "name", "name.givenName", "name.familyName", "name.formatted",
    "displayName", "emails", "emails.value", "emails.type", "emails.primary", "active", "id",
    "meta", "schemas")}
GROUP_NAMES = {n.lower(): n for n in (
    "displayName", "externalId", "members", "members.value", "members.$ref",
    "members.display", "members.type", "id", "meta", "schemas")}


def iso(ms: int) -> str:
    from datetime import UTC, datetime
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def _meta(kind: str, location: str, created: int, updated: int, version: int
          ) -> dict[str, Any]:
    return {"resourceType": kind, "created": iso(created), "lastModified": iso(updated),
            "location": location, "version": etag(version)}


def etag(version: int) -> str:
    return f'W/"{version}"'


def _clean(shaped: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in shaped.items() if v is not None and v != {} and v != []}


def user_json(user: api.ScimUser, base: str) -> dict[str, Any]:
    f = user.fields
    active = False if user.deactivated and f.active is not None else f.active
    return _clean({
        "schemas": [discovery.USER], "id": str(user.id), "externalId": f.external_id,
        "userName": f.user_name,
        "name": _clean({"formatted": f.formatted, "familyName": f.family_name,
                        "givenName": f.given_name}),
        "displayName": f.display_name,
        "emails": [_clean({"value": e.value, "type": e.type, "primary": e.primary})
                   for e in f.emails],
        "active": active,
        "meta": _meta("User", f"{base}/Users/{user.id}", user.created_at, user.updated_at,
                      user.version),
    })


def group_json(group: api.ScimGroup, base: str, *, display: bool = False) -> dict[str, Any]:
    """``display``: with members' names (returned on request only, discovery.py)."""
    return _clean({
        "schemas": [discovery.GROUP], "id": str(group.id), "externalId": group.external_id,
        "displayName": group.display_name,
        "members": [{"value": str(m.id), "$ref": f"{base}/Users/{m.id}", "type": "User",
                     **({"display": m.display} if display else {})} for m in group.members],
        "meta": _meta("Group", f"{base}/Groups/{group.id}", group.created_at,
                      group.updated_at, group.version),
    })


def canonical(data: Any, names: dict[str, str], parent: str = "") -> Any:
    """The body with its attribute names as the schema spells them (unknown ones dropped,
    except URN-named extensions, kept as they are and ignored later)."""
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        name = names.get((parent + key).lower())
        if name is None:
            continue
        leaf = name.rpartition(".")[2]
        if isinstance(value, list):
            out[leaf] = [canonical(v, names, name + ".") for v in value]
        elif isinstance(value, dict):
            out[leaf] = canonical(value, names, name + ".")
        else:
            out[leaf] = value
    return out


def _text(data: dict[str, Any], key: str, where: str = "", *, required: bool = False
          ) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise invalid_value(f"{where}{key} is required")
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\x00" in value:
        raise invalid_value(f"{where}{key} must be a string of at most {MAX_TEXT} characters")
    if required and not value.strip():
        raise invalid_value(f"{where}{key} is required")
    return value


def _bool(data: dict[str, Any], key: str, where: str = "") -> bool | None:
    value = data.get(key)
    # Entra ID has sent "True"/"False" as strings in PATCH values.
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value is not None and not isinstance(value, bool):
        raise invalid_value(f"{where}{key} must be a boolean")
    return value


def _complex(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_value(f"{key} must be an object")
    return value


def _list(data: dict[str, Any], key: str, most: int) -> list[dict[str, Any]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > most or not all(
            isinstance(v, dict) for v in value):
        raise invalid_value(f"{key} must be a list of at most {most} objects")
    return value


def require_schema(body: Any, schema: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid_syntax("The body must be a JSON object")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or schema not in schemas:
        raise invalid_syntax(f"schemas must list {schema}")
    return body


def user_fields(body: dict[str, Any]) -> api.UserFields:
    data = canonical(body, USER_NAMES)
    name = _complex(data, "name")
    emails = [api.ScimEmail(value=_text(e, "value", "emails.", required=True) or "",
                            type=_text(e, "type", "emails."),
                            primary=_bool(e, "primary", "emails."))
              for e in _list(data, "emails", MAX_EMAILS)]
    return api.UserFields(
        user_name=(_text(data, "userName", required=True) or "").strip(),
        external_id=_text(data, "externalId"),
        given_name=_text(name, "givenName", "name."),
        family_name=_text(name, "familyName", "name."),
        formatted=_text(name, "formatted", "name."),
        display_name=_text(data, "displayName"), emails=emails,
        active=_bool(data, "active"))


MAX_MEMBERS = 10_000


def member_ids(data: dict[str, Any]) -> list[int]:
    ids = []
    for member in _list(data, "members", MAX_MEMBERS):
        value = member.get("value")
        found = parse_id(value) if isinstance(value, str) else None
        if found is None:
            raise invalid_value("members.value must name a user by its id")
        ids.append(found)
    return ids


def group_fields(body: dict[str, Any]) -> api.GroupFields:
    data = canonical(body, GROUP_NAMES)
    return api.GroupFields(display_name=(_text(data, "displayName", required=True) or ""),
                           external_id=_text(data, "externalId"), member_ids=member_ids(data))


def project(resource: dict[str, Any], attributes: str | None, excluded: str | None,
            names: dict[str, str]) -> dict[str, Any]:
    """RFC 7644 3.4.2.5: ``attributes`` keeps those named (and schemas and id, always
    returned); ``excludedAttributes`` drops those named."""
    def paths(text: str) -> list[list[str]]:
        found = []
        for item in text.split(","):
            item = item.strip()
            for urn in (discovery.USER, discovery.GROUP):
                if item.lower().startswith(urn.lower() + ":"):
                    item = item[len(urn) + 1:]
            name = names.get(item.lower())
            if name is None:
                if item:
                    continue  # unknown: nothing of it is returned anyway
            else:
                found.append(name.split("."))
        return found

    if attributes:
        kept: dict[str, Any] = {k: resource[k] for k in ("schemas", "id") if k in resource}
        for path in paths(attributes):
            if path[0] not in resource:
                continue
            if len(path) == 1:
                kept[path[0]] = resource[path[0]]
            else:
                value = resource[path[0]]
                if isinstance(value, dict) and path[1] in value:
                    kept.setdefault(path[0], {})[path[1]] = value[path[1]]
                elif isinstance(value, list):
                    kept[path[0]] = [{path[1]: v[path[1]]} for v in value if path[1] in v]
        return kept
    if excluded:
        out = dict(resource)
        for path in paths(excluded):
            if path[0] in ("schemas", "id"):
                continue
            if len(path) == 1:
                out.pop(path[0], None)
            elif isinstance(out.get(path[0]), dict):
                out[path[0]] = {k: v for k, v in out[path[0]].items() if k != path[1]}
            elif isinstance(out.get(path[0]), list):
                out[path[0]] = [{k: v for k, v in item.items() if k != path[1]}
                                for item in out[path[0]]]
        return out
    return resource


def check_id(raw: str) -> int:
    found = parse_id(raw)
    if found is None:
        raise ScimError(404, "Resource not found")
    return found
