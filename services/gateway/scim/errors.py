"""SCIM's error answers (RFC 7644 3.12): ``schemas``, ``status`` as a string, ``scimType``
where the RFC names one, ``detail``; media type application/scim+json."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from shared import errors

MEDIA_TYPE = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
_encoder = msgspec.json.Encoder()


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def body(data: Any, status: int = 200, headers: dict[str, str] | None = None
         ) -> Response[bytes]:
    return Response(content=_encoder.encode(data), status_code=status, media_type=MEDIA_TYPE,
                    headers=headers or {})


def answer(status: int, detail: str, scim_type: str | None = None) -> Response[bytes]:
    shaped: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status),
                              "detail": detail}
    if scim_type:
        shaped["scimType"] = scim_type
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if status == 401 else None
    return body(shaped, status, headers)


# A domain error from graph, in SCIM's words: a broken rule of the schema or of the network
# (a userName outside its domains) is invalidValue, a taken name uniqueness.
_TYPES = {400: "invalidValue", 409: "uniqueness"}


def from_hubbub(_: Request[Any, Any, Any], exc: errors.HubbubError) -> Response[bytes]:
    status = exc.http_status
    if isinstance(exc, errors.Invalid | errors.Unprocessable | errors.BadRequest):
        status = 400
    if status >= 500:  # a service's words may name internals
        return answer(status, "Service unavailable, try again in a moment" if status == 503
                      else "Internal server error")
    return answer(status, exc.message, _TYPES.get(status))


def from_scim(_: Request[Any, Any, Any], exc: ScimError) -> Response[bytes]:
    return answer(exc.status, exc.detail, exc.scim_type)


def from_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    detail = exc.detail if exc.status_code < 500 else "Internal server error"
    return answer(exc.status_code, detail, "invalidSyntax" if exc.status_code == 400 else None)


HANDLERS: dict[int | type[Exception], Any] = {
    errors.HubbubError: from_hubbub, ScimError: from_scim, HTTPException: from_http,
}
