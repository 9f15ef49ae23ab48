"""Request parameters as Mastodon clients send them: query string, form (urlencoded or
multipart) or JSON body, with ``name[]`` arrays. Converted into a Struct that names every
parameter the endpoint knows: a known one with a wrong type or value is a 422 naming it, and
one the endpoint does not know is ignored, as Mastodon (Rails) ignores it: clients send extras
(Mastodon.py's ``return_detailed_error``, newer servers' fields).

This is the one gate every parameter passes on its way to a service, so it also refuses what
the servers behind cannot hold: text with NUL (PostgreSQL ``text`` cannot store U+0000) or a
lone surrogate (not encodable as UTF-8, so not sendable over NATS), integers outside
PostgreSQL's ``bigint``, and JSON nested deeper than any endpoint's parameters go."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import msgspec
from litestar import Request

from services.gateway import multipart_body
from shared import errors, policy

T = TypeVar("T")

# Deeper than any endpoint's parameters go (poll[options][] is three): anything past this is
# not a request a client makes.
MAX_JSON_DEPTH = 32
_UNFIT_TEXT = re.compile("[\x00\ud800-\udfff]")
_BIGINT = (-(2**63), 2**63 - 1)


def _merge(target: dict[str, Any], key: str, value: Any) -> None:
    """Rails-style keys: ``id[]=1`` is a list, ``poll[options][]=a`` a nested object's list,
    ``keywords_attributes[][keyword]=a`` a list of objects (as Rack reads it: a key the last
    object already has starts the next one)."""
    is_list = key.endswith("[]")
    if is_list:
        key = key[:-2]
    path = key.replace("]", "").split("[")
    at = 0
    while at < len(path) - 1:
        part = path[at]
        if at > 0 or part:
            if path[at + 1] == "" and at + 2 < len(path):  # part[][child]: a list of objects
                items = target.get(part)
                if not isinstance(items, list):
                    items = target[part] = []
                child = path[at + 2]
                last = items[-1] if items else None
                if not isinstance(last, dict) or (
                        child in last and not (is_list and at + 3 == len(path))):
                    last = {}
                    items.append(last)
                target = last
                at += 2
                continue
        nested = target.get(part)
        if not isinstance(nested, dict):
            nested = target[part] = {}
        target = nested
        at += 1
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
        # (no ``raw.strip()``: a copy of every upload's bytes, on the event loop)
        blank = not raw or raw.isspace()
        if content_type == "application/json" or (not content_type and _starts_object(raw)):
            if not blank:
                try:
                    decoded = msgspec.json.decode(raw)
                except msgspec.DecodeError as exc:
                    raise errors.BadRequest(f"Malformed JSON: {exc}") from exc
                except RecursionError as exc:  # msgspec's own bound, near 1,000 levels
                    raise errors.BadRequest("Malformed JSON: nested too deeply") from exc
                if not isinstance(decoded, dict):
                    raise errors.BadRequest("Malformed JSON: expected an object")
                values.update(decoded)
        elif not blank and content_type == "application/x-www-form-urlencoded":
            # Read here, not by the framework, which groups a form's pairs by key: the order
            # of ``keywords_attributes[][keyword]=a&...[][whole_word]=0&...[][keyword]=b``
            # says which values go together (blank values left out, as the framework does).
            for key, value in parse_qsl(raw.decode("utf-8", "replace"), separator="&"):
                _merge(values, key, value)
        elif not blank and content_type == "multipart/form-data":
            boundary = request.content_type[1].get("boundary")
            if not boundary:
                raise errors.BadRequest("Invalid multipart/form-data: no boundary")
            for key, value in await multipart_body.parse(raw, boundary):
                _merge(values, key, value)
    return convert(values, struct)


def _starts_object(raw: bytes) -> bool:
    """Whether the body's first non-blank byte opens a JSON object (without copying it)."""
    at = _LEADING_BLANK.match(raw).end()  # type: ignore[union-attr]  # (matches "" at least)
    return raw[at:at + 1] == b"{"


_LEADING_BLANK = re.compile(rb"[ \t\r\n]*")


def convert(values: dict[str, Any], struct: type[T]) -> T:
    try:
        converted = msgspec.convert(values, struct, strict=False)
    except msgspec.ValidationError as exc:
        raise errors.Invalid(f"Validation failed: {exc}", _details(str(exc))) from exc
    _check(converted, "", 0)
    return converted


_MISSING = re.compile(r"missing required field `([^`]+)`(?: - at `\$((?:\.\w+)*)`)?")
_WHERE = re.compile(r" - at `\$((?:\.\w+)+)")


def _details(problem: str) -> errors.Details:
    """Mastodon's ``details`` for msgspec's words: a missing parameter is blank, a wrong one
    invalid, named as clients send it (``source[privacy]``)."""
    missing = _MISSING.search(problem)
    if missing:
        path = [*missing.group(2).split(".")[1:], missing.group(1)] if missing.group(2) \
            else [missing.group(1)]
        return {_param_name(path): [(errors.BLANK, "can't be blank")]}
    where = _WHERE.search(problem)
    if where:
        return {_param_name(where.group(1).split(".")[1:]): [(errors.INVALID, "is invalid")]}
    return {}


def _param_name(path: list[str]) -> str:
    return path[0] + "".join(f"[{part}]" for part in path[1:])


def check_text(values: Mapping[str, object]) -> None:
    """For the few routes that read a form or query without a Struct (the sign-in pages)."""
    for name, value in values.items():
        _check(value, name, 1)


def _check(value: object, where: str, depth: int) -> None:
    """Refuse, naming the parameter, what no server behind the gateway can take."""
    if isinstance(value, str):
        if _UNFIT_TEXT.search(value):
            raise errors.Invalid(f"Validation failed: {where} contains a character that is not "
                                 f"allowed (NUL or a lone surrogate)")
        return
    if type(value) is int:
        if not _BIGINT[0] <= value <= _BIGINT[1]:
            raise errors.Invalid(f"Validation failed: {where} is out of range")
        return
    if depth > MAX_JSON_DEPTH:
        raise errors.Invalid(f"Validation failed: {where or 'the request'} is nested too deeply")
    if isinstance(value, msgspec.Struct):
        for attr, name in zip(value.__struct_fields__, value.__struct_encode_fields__,
                              strict=True):
            _check(getattr(value, attr), f"{where}.{name}" if where else name, depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, where, depth + 1)
            _check(item, f"{where}.{key}" if where else str(key), depth + 1)


def positional(raw: list[T] | dict[str, T], name: str) -> list[T]:
    """Rails' nested attributes (``fields_attributes``, ``keywords_attributes``): a list (JSON,
    or a form's ``name[][key]``), or an object keyed by position (a form's ``name[0][key]``,
    or JSON written so), in the order of the positions; other keys are a 422 naming ``name``."""
    if not isinstance(raw, dict):
        return list(raw)
    try:
        return [raw[k] for k in sorted(raw, key=int)]
    except ValueError as exc:
        raise errors.Invalid(f"Validation failed: {name} keys must be positions (0, 1, ...)",
                             {name: [(errors.INVALID, "keys must be positions (0, 1, ...)")]}
                             ) from exc


def visibility(value: str) -> policy.Visibility:
    """A client's visibility for a new status. The posts service's contract takes only the four
    values; this keeps the 422 and its message the service gave before the contract was typed."""
    if not policy.is_visibility(value):
        raise errors.Invalid(f"Validation failed: visibility must be one of "
                             f"{', '.join(policy.VISIBILITIES)}")
    return value


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)


def moment_ms(value: str, name: str) -> int:
    """An ISO 8601 date or date and time (UTC when it names no offset), as ms since the Unix
    epoch; a 422 naming the parameter when it is neither."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise errors.Invalid(f"Validation failed: {name} is not an ISO 8601 date and time",
                             {name: [(errors.INVALID, "is invalid")]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // _MS


class Params(msgspec.Struct, kw_only=True):
    """Base for endpoint parameters: names the endpoint does not know are ignored (Mastodon's
    leniency, which clients rely on); the ones it knows are typed and checked."""
