"""SCIM PATCH (RFC 7644 3.5.2) applied to a resource's JSON: ``add``, ``replace`` and
``remove``, with or without ``path`` (``attr``, ``attr.sub``, ``attr[sub eq "v"]``,
``attr[sub eq "v"].sub``). The result is then checked as a whole body would be, so a PATCH
can break the schema no more than a PUT can. What directories send is accepted too: ops in
any case (Entra ID's "Replace"), a path-less value naming sub-attributes ("name.givenName"),
members removed by a value list (Okta)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from services.gateway.scim import discovery
from services.gateway.scim.errors import ScimError, invalid_syntax, invalid_value
from services.gateway.scim.resources import canonical

PATH = re.compile(r"^(?P<attr>[A-Za-z$][\w$]*)(?:\[(?P<filter>[^\]]*)\])?"
                  r"(?:\.(?P<sub>[A-Za-z$][\w$]*))?$")
VALUE_FILTER = re.compile(r'^\s*(\S+)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false)\s*$',
                          re.IGNORECASE)
READ_ONLY = ("id", "meta", "schemas")
MAX_OPERATIONS = 1000


def _invalid_path(path: str) -> ScimError:
    return ScimError(400, f"The path {path!r} is not one this service understands",
                     "invalidPath")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return bool(a == b)


def _key(item: Any) -> Any:
    return item.get("value") if isinstance(item, dict) and "value" in item else item


def apply(resource: dict[str, Any], body: Any, names: dict[str, str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid_syntax("The body must be a JSON object")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or discovery.PATCH_OP not in schemas:
        raise invalid_syntax(f"schemas must list {discovery.PATCH_OP}")
    operations = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(operations, list) or not operations or len(operations) > MAX_OPERATIONS:
        raise invalid_syntax("Operations must be a list of operations")
    result = copy.deepcopy(resource)
    for operation in operations:
        if not isinstance(operation, dict):
            raise invalid_syntax("Each operation must be an object")
        fields = {k.lower(): v for k, v in operation.items() if isinstance(k, str)}
        kind = fields.get("op")
        if not isinstance(kind, str) or kind.lower() not in ("add", "replace", "remove"):
            raise invalid_syntax("op must be add, replace or remove")
        kind = kind.lower()
        path, value = fields.get("path"), fields.get("value")
        if path is None or path == "":
            if kind == "remove":
                raise ScimError(400, "remove needs a path", "noTarget")
            if not isinstance(value, dict):
                raise invalid_value("Without a path, value must be an object of attributes")
            for key, item in value.items():
                if isinstance(key, str) and not key.startswith("urn:"):
                    _at(result, kind, key, item, names)
                elif isinstance(key, str) and isinstance(item, dict) and _is_core(key):
                    for sub_key, sub_item in item.items():
                        _at(result, kind, str(sub_key), sub_item, names)
        elif not isinstance(path, str):
            raise _invalid_path(str(path))
        else:
            _at(result, kind, path, value, names)
    return result


def _is_core(urn: str) -> bool:
    return urn.lower() in (discovery.USER.lower(), discovery.GROUP.lower())


def _at(resource: dict[str, Any], kind: str, path: str, value: Any,
        names: dict[str, str]) -> None:
    for urn in (discovery.USER, discovery.GROUP):
        if path.lower().startswith(urn.lower() + ":"):
            path = path[len(urn) + 1:]
    if path.startswith("urn:"):
        return  # an extension's attribute (e.g. the enterprise user's): not kept
    match = PATH.match(path.strip())
    if match is None:
        raise _invalid_path(path)
    attr = names.get(match["attr"].lower())
    if attr is None or attr in READ_ONLY:
        return  # unknown attributes are ignored, as in bodies; read-only ones stay
    sub = None
    if match["sub"]:
        sub_name = names.get(f"{attr}.{match['sub']}".lower())
        if sub_name is None:
            return
        sub = sub_name.rpartition(".")[2]
    value = ([canonical(v, names, attr + ".") for v in value] if isinstance(value, list)
             else canonical(value, names, attr + "."))
    if match["filter"] is not None:
        _filtered(resource, kind, attr, match["filter"], sub, value, names, path)
    elif sub is not None:
        _sub(resource, kind, attr, sub, value)
    else:
        _whole(resource, kind, attr, value)


def _whole(resource: dict[str, Any], kind: str, attr: str, value: Any) -> None:
    current = resource.get(attr)
    if kind == "remove":
        if isinstance(current, list) and isinstance(value, list) and value:
            gone = [_key(v) for v in value]
            resource[attr] = [i for i in current if not any(_same(_key(i), g) for g in gone)]
        else:
            resource.pop(attr, None)
    elif kind == "add" and isinstance(current, list):
        for item in value if isinstance(value, list) else [value]:
            if not any(_same(_key(i), _key(item)) for i in current):
                current.append(item)
    elif isinstance(current, dict) and isinstance(value, dict):
        current.update(value)  # a complex attribute: the sub-attributes given change
    else:
        resource[attr] = value


def _sub(resource: dict[str, Any], kind: str, attr: str, sub: str, value: Any) -> None:
    current = resource.get(attr)
    if isinstance(current, list):
        for item in current:
            if kind == "remove":
                item.pop(sub, None)
            else:
                item[sub] = value
    elif kind == "remove":
        if isinstance(current, dict):
            current.pop(sub, None)
    else:
        if not isinstance(current, dict):
            current = resource[attr] = {}
        current[sub] = value


def _filtered(resource: dict[str, Any], kind: str, attr: str, text: str, sub: str | None,
              value: Any, names: dict[str, str], path: str) -> None:
    match = VALUE_FILTER.match(text)
    field = names.get(f"{attr}.{match[1]}".lower()) if match else None
    if match is None or field is None:
        raise _invalid_path(path)
    field = field.rpartition(".")[2]
    wanted = json.loads(match[2].lower() if match[2].lower() in ("true", "false")
                        else match[2])
    items = resource.get(attr)
    if not isinstance(items, list):
        items = []
    chosen = [i for i in items if isinstance(i, dict) and _same(i.get(field), wanted)]
    if kind == "remove":
        if sub is None:
            resource[attr] = [i for i in items if i not in chosen]
        else:
            for item in chosen:
                item.pop(sub, None)
        return
    if not chosen:  # e.g. emails[type eq "work"].value on a user with no work address yet
        item = {field: wanted}
        items.append(item)
        resource[attr] = items
        chosen = [item]
    for item in chosen:
        if sub is not None:
            item[sub] = value
        elif isinstance(value, dict):
            item.update(value)
        else:
            raise invalid_value(f"{path} takes an object")
