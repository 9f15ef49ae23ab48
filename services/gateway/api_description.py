"""The gateway's OpenAPI 3.1 document, derived from the app's route table.

Litestar's own generator cannot describe this API: handlers take ``Request`` and read their
parameters through ``params.read(request, SomeParams)`` (query string, form or JSON alike, as
Mastodon clients send them), so their signatures name none. What a handler reads is found in
its source instead: each ``params.read``/``params.convert`` call names the Struct, and
``body=False`` says it is read from the query string only. msgspec gives each Struct's JSON
Schema. A route added tomorrow is described the same way, without a registry to forget.

Errors have Mastodon's shape, ``{"error": "..."}``, whatever the status."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from services.gateway import params

REF = "#/components/schemas/{name}"
_PATH_PARAM = re.compile(r"\{(\w+):(\w+)\}")
# Statuses every operation may answer, besides its success: the gateway's refusals.
_REFUSALS = {
    "400": "Malformed request (JSON that does not parse)",
    "401": "No token, or one that is not valid",
    "403": "Outside the token's scopes or the caller's rights",
    "404": "Record not found (also what a caller may not see)",
    "413": "Request body past 1 MB",
    "422": "A parameter with a wrong type or value, named in the message",
    "429": "Rate limited (Retry-After says when to come back)",
    "431": "Request headers past 32 KB",
    "503": "A server behind the gateway is away; try again",
}
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_PAGES = ("text/html", "text/event-stream")
_GATEWAY = "services.gateway."


def _reads(fn: Callable[..., Any], seen: set[Callable[..., Any]] | None = None
           ) -> list[tuple[type[msgspec.Struct], bool]]:
    """The parameter Structs a handler reads, each with whether the body may carry it: in its
    own source and in the gateway's functions it calls (a shared paging helper)."""
    seen = set() if seen is None else seen
    if fn in seen:
        return []
    seen.add(fn)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return []
    names = {**fn.__globals__, **inspect.getclosurevars(fn).nonlocals}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name):
            called = names.get(node.func.id)
            if inspect.isfunction(called) and called.__module__.startswith(_GATEWAY):
                found += _reads(called, seen)
            continue
        if not (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "params" and node.func.attr in ("read", "convert")
                and len(node.args) == 2 and isinstance(node.args[1], ast.Name)):
            continue
        struct = names.get(node.args[1].id)
        if not (isinstance(struct, type) and issubclass(struct, params.Params)):
            continue
        body = node.func.attr == "read" and not any(
            k.arg == "body" and isinstance(k.value, ast.Constant) and k.value.value is False
            for k in node.keywords)
        found.append((struct, body))
    return found


def _operations(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method not in ("OPTIONS", "HEAD"):  # Litestar's own: CORS preflight
                yield route.path, method, handler


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """A Struct's fields as query parameters, arrays Rails-style (``types[]=a&types[]=b``)."""
    required = set(schema.get("required", ()))
    found = []
    for name, field in schema.get("properties", {}).items():
        field = _absent_is_null(field)
        is_list = field.get("type") == "array"
        found.append({"name": f"{name}[]" if is_list else name, "in": "query",
                      "required": name in required, "schema": field,
                      **({"style": "form", "explode": True} if is_list else {})})
    return found


def _absent_is_null(field: dict[str, Any]) -> dict[str, Any]:
    """A query string cannot say null: leaving the parameter out does."""
    field = {k: v for k, v in field.items() if not (k == "default" and v is None)}
    options = [o for o in field.get("anyOf", ()) if o != {"type": "null"}]
    if "anyOf" in field:
        field = {k: v for k, v in field.items() if k != "anyOf"}
        field |= options[0] if len(options) == 1 else {"anyOf": options}
    return field


def _responses(handler: HTTPRouteHandler, media: str) -> dict[str, Any]:
    # Handlers answer with their own Response, 200 as Mastodon does (Litestar's 201 for a POST
    # handler's default never applies); pages name their media type on the decorator.
    success = "200"
    content: dict[str, Any] = {media if media in _PAGES else "application/json": {"schema": {}}}
    return {success: {"description": "Success", "content": content},
            **{code: {"$ref": f"#/components/responses/{code}"} for code in _REFUSALS},
            "500": {"$ref": "#/components/responses/500"}}


@cache
def _document(app: Litestar, title: str, version: str) -> bytes:
    operations = list(_operations(app))
    reads = {(path, method): _reads(h.fn) for path, method, h in operations}
    structs = sorted({s for found in reads.values() for s, _ in found}, key=lambda s: s.__name__)
    refs, components = msgspec.json.schema_components(structs, ref_template=REF)
    names = dict(zip(structs, refs, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for path, method, handler in operations:
        plain = _PATH_PARAM.sub(r"{\1}", path)
        operation: dict[str, Any] = {
            "operationId": _operation_id(method, plain),
            "tags": [path.split("/")[2] if path.startswith("/api/") else "web"],
            "parameters": [{"name": name, "in": "path", "required": True,
                            "schema": {"type": "string"}}
                           for name, _ in _PATH_PARAM.findall(path)],
        }
        for struct, body in reads[(path, method)]:
            schema = components[names[struct]["$ref"].rsplit("/", 1)[1]]
            if body and method in _BODY_METHODS:
                ref = names[struct]
                operation["requestBody"] = {"content": {
                    "application/json": {"schema": ref},
                    "application/x-www-form-urlencoded": {"schema": ref}}}
            else:
                operation["parameters"] += _query_parameters(schema)
        operation["responses"] = _responses(handler, str(handler.media_type))
        paths.setdefault(plain, {})[method.lower()] = operation
    error = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
    return msgspec.json.encode({
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "The Mastodon client API and Hubbub's own (/api/hubbub/)."},
        "paths": paths,
        "security": [{"bearer": []}, {}],  # routes that need a token say so with a 401
        "components": {
            "schemas": {**components, "Error": error},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {code: {"description": text, "content": {"application/json": {
                "schema": {"$ref": REF.format(name="Error")}}}}
                for code, text in {**_REFUSALS, "500": "Internal server error"}.items()},
        },
    })


def _operation_id(method: str, path: str) -> str:
    return f"{method.lower()}{re.sub(r'[^a-zA-Z0-9]+', '_', path).rstrip('_')}"


def document(app: Litestar, *, title: str = "Hubbub", version: str = "1") -> bytes:
    """The OpenAPI document as JSON, built once per app."""
    return _document(app, title, version)
