"""Request parameters as Mastodon clients send them: query string, form (urlencoded or
multipart) or JSON body, with ``name[]`` arrays. Converted into a Struct that names every
parameter of the endpoint, so a typo or a missing field is a clear 422, not a silent default."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import msgspec
from litestar import Request

from shared import errors, policy

T = TypeVar("T")


def _merge(target: dict[str, Any], key: str, value: Any) -> None:
    """Rails-style keys: ``id[]=1`` is a list, ``poll[options][]=a`` a nested object's list."""
    is_list = key.endswith("[]")
    if is_list:
        key = key[:-2]
    path = key.replace("]", "").split("[")
    for part in path[:-1]:
        nested = target.get(part)
        if not isinstance(nested, dict):
            nested = target[part] = {}
        target = nested
    if is_list:
        existing = target.get(path[-1])
        if not isinstance(existing, list):
            existing = target[path[-1]] = []
        existing.append(value)
    else:
        target[path[-1]] = value


def merged(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Query-string pairs as the nested values that ``convert`` takes."""
    values: dict[str, Any] = {}
    for key, value in items:
        _merge(values, key, value)
    return values


async def read(request: Request[Any, Any, Any], struct: type[T], *, body: bool = True) -> T:
    values = merged(request.query_params.multi_items())
    if body and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await request.body()
        if content_type == "application/json" or (not content_type and raw.strip()[:1] == b"{"):
            if raw.strip():
                try:
                    decoded = msgspec.json.decode(raw)
                except msgspec.DecodeError as exc:
                    raise errors.BadRequest(f"Malformed JSON: {exc}") from exc
                if not isinstance(decoded, dict):
                    raise errors.BadRequest("Malformed JSON: expected an object")
                values.update(decoded)
        elif raw.strip():
            form = await request.form()
            for key, value in form.multi_items():
                _merge(values, key, value if isinstance(value, str) else value)
    return convert(values, struct)


def convert(values: dict[str, Any], struct: type[T]) -> T:
    try:
        return msgspec.convert(values, struct, strict=False)
    except msgspec.ValidationError as exc:
        raise errors.Invalid(f"Validation failed: {exc}") from exc


def visibility(value: str) -> policy.Visibility:
    """A client's visibility for a new status. The posts service's contract takes only the four
    values; this keeps the 422 and its message the service gave before the contract was typed."""
    if not policy.is_visibility(value):
        raise errors.Invalid(f"Validation failed: visibility must be one of "
                             f"{', '.join(policy.VISIBILITIES)}")
    return value


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base for endpoint parameters: unknown names are rejected."""
