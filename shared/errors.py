"""Domain errors. Services raise them; the bus carries them as typed error replies; the gateway
maps them to HTTP status codes with a Mastodon-style ``{"error": ...}`` body, and, for a
validation error, Mastodon's ``details``: per field, the codes clients translate."""

from __future__ import annotations

# Per field, (code, description) pairs: Mastodon's ``details`` (``ERR_BLANK``, ``ERR_TAKEN``...).
Details = dict[str, list[tuple[str, str]]]

# Mastodon's codes (app/lib/validation_error_formatter.rb), the ones Hubbub has a use for.
BLANK = "ERR_BLANK"
TAKEN = "ERR_TAKEN"
INVALID = "ERR_INVALID"
TOO_LONG = "ERR_TOO_LONG"
TOO_SHORT = "ERR_TOO_SHORT"
INCLUSION = "ERR_INCLUSION"
BLOCKED = "ERR_BLOCKED"  # an e-mail domain not accepted here
ACCEPTED = "ERR_ACCEPTED"  # terms that must be agreed to


class HubbubError(Exception):
    code = "error"
    http_status = 500

    def __init__(self, message: str = "", details: Details | None = None) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code
        self.details: Details = details or {}


class Invalid(HubbubError):
    code = "invalid"
    http_status = 422


class BadRequest(HubbubError):
    code = "bad_request"
    http_status = 400


class Unauthorized(HubbubError):
    code = "unauthorized"
    http_status = 401


class Unprocessable(HubbubError):
    code = "unprocessable"
    http_status = 422


class Forbidden(HubbubError):
    code = "forbidden"
    http_status = 403


class NotFound(HubbubError):
    code = "not_found"
    http_status = 404


class Conflict(HubbubError):
    code = "conflict"
    http_status = 409


class Stale(HubbubError):
    """A change made on a version of the record that is no longer current (HTTP If-Match)."""

    code = "stale"
    http_status = 412


class TooLarge(HubbubError):
    """More than a message can carry (NATS's 1 MiB), e.g. text that grows when encoded."""

    code = "too_large"
    http_status = 413


class Unavailable(HubbubError):
    code = "unavailable"
    http_status = 503


class Starting(Unavailable):
    """The gateway itself is still connecting: its own words, safe to show (a 5xx from a
    service is not: its message can name internals)."""


ERRORS_BY_CODE: dict[str, type[HubbubError]] = {
    cls.code: cls
    for cls in (Invalid, Unprocessable, BadRequest, Unauthorized, Forbidden, NotFound, Conflict,
                Stale, TooLarge, Unavailable)
}


def from_code(code: str, message: str, details: Details | None = None) -> HubbubError:
    return ERRORS_BY_CODE.get(code, HubbubError)(message, details)


def add(details: Details, field: str, code: str, description: str) -> None:
    details.setdefault(field, []).append((code, description))
