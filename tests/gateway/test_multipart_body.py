"""The gateway's own multipart parser (services/gateway/multipart_body.py): what the framework's
parser gave, read from the body in a worker thread; malformed bodies are a 400."""

from __future__ import annotations

import pytest

from services.gateway import multipart_body
from shared import errors

BOUNDARY = "b0undary"


def _body(*parts: tuple[str, str | None, bytes], end: bool = True) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += (f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
                + ("Content-Type: image/png\r\n" if filename else "")
                + "\r\n").encode() + data + b"\r\n"
    return out + (f"--{BOUNDARY}--\r\n".encode() if end else b"")


async def test_fields_and_files_in_order() -> None:
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    parsed = await multipart_body.parse(_body(
        ("description", None, "a chart, naïve".encode()), ("file", "chart.png", picture),
        ("focus", None, b"0.5,-0.5"), ("empty", "", b"")), BOUNDARY)
    assert [name for name, _ in parsed] == ["description", "file", "focus", "empty"]
    assert parsed[0][1] == "a chart, naïve" and parsed[2][1] == "0.5,-0.5"
    upload = parsed[1][1]
    assert (upload.filename, upload.content_type) == ("chart.png", "image/png")
    assert await upload.read() == picture
    assert parsed[3][1] == ""  # an empty file input is an empty field, as browsers mean it


@pytest.mark.parametrize("body", [
    _body(("file", "x.png", b"data"), end=False),  # cut short
    b"no multipart here at all",
    f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=x\r\n".encode(),  # no headers' end
])
async def test_a_malformed_body_is_a_400(body: bytes) -> None:
    with pytest.raises(errors.BadRequest, match="multipart"):
        await multipart_body.parse(body, BOUNDARY)


async def test_too_many_parts_is_a_400() -> None:
    body = _body(*[(f"f{i}", None, b"x") for i in range(multipart_body.MAX_PARTS + 1)])
    with pytest.raises(errors.BadRequest, match="too many parts"):
        await multipart_body.parse(body, BOUNDARY)
