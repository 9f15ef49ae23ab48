"""Mastodon's ``details`` as the gateway derives them from msgspec's words, and as the bus
carries them: an error body that is not details is ignored, not an error of its own."""

from __future__ import annotations

import msgspec
import pytest

from services.gateway import params, responses
from shared import bus, errors


class Source(params.Params):
    privacy: str


class Register(params.Params):
    username: str
    source: Source | None = None
    limit: int = 20


@pytest.mark.parametrize(("values", "expected"), [
    ({}, {"username": [(errors.BLANK, "can't be blank")]}),
    ({"username": "a", "source": {}}, {"source[privacy]": [(errors.BLANK, "can't be blank")]}),
    ({"username": "a", "limit": "many"}, {"limit": [(errors.INVALID, "is invalid")]}),
])
def test_parameter_errors_name_the_parameter(values: dict[str, object],
                                             expected: errors.Details) -> None:
    with pytest.raises(errors.Invalid) as caught:
        params.convert(values, Register)
    assert caught.value.details == expected
    assert caught.value.message.startswith("Validation failed: ")


def test_error_body_renders_details_only_when_there_are_some() -> None:
    assert msgspec.json.decode(responses.error("Nope", 422).content) == {"error": "Nope"}
    taken: errors.Details = {"email": [(errors.TAKEN, "t")]}
    body = msgspec.json.decode(responses.error("Nope", 422, taken).content)
    assert body == {"error": "Nope",
                    "details": {"email": [{"error": "ERR_TAKEN", "description": "t"}]}}


def test_bus_reads_details_and_ignores_a_body_that_is_not_details() -> None:
    assert bus.error_details(b'{"email": [["ERR_TAKEN", "t"]]}') == {"email": [("ERR_TAKEN", "t")]}
    assert bus.error_details(b"") is None
    assert bus.error_details(b"internal") is None
    assert bus.error_details(b'{"email": "ERR_TAKEN"}') is None
