"""multipart/form-data parsed from a body already in memory, off the event loop.

The framework's own parser (``request.form()``) runs on the event loop and spools each file
part into a temporary file that rolls to disk past 1 MB, one thread hop per chunk written: a
photo of a few MB cost the gateway ~40 ms of its loop, so every read behind a burst of uploads
waited (loadtests/media_bench.py showed home reads' median go from 2 ms to 0.4 s). The gateway
has read the body already (bounded by each route's ``request_max_body_size``); parsing it in a
worker thread leaves the loop to the other requests, and the files stay in memory as the body
did.
"""

from __future__ import annotations

import asyncio
from itertools import chain
from typing import Any

from litestar.datastructures import UploadFile
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from shared import errors

MAX_PARTS = 1000  # as the framework's own default (multipart_form_part_limit)


async def parse(raw: bytes, boundary: str) -> list[tuple[str, Any]]:
    """The form's (name, value) pairs in order: text fields as ``str``, files as ``UploadFile``
    (in memory). 400 for a malformed body."""
    parts = await asyncio.to_thread(_parse, raw, boundary.encode("latin-1"))
    return [(name, value if isinstance(value, str) else UploadFile(
        content_type=segment.content_type or "application/octet-stream",
        filename=segment.filename or "", headers=dict(segment.headerlist),
        file_data=value, max_spool_size=len(value) + 1))
        for name, value, segment in parts]


def _parse(raw: bytes, boundary: bytes) -> list[tuple[str, str | bytes, MultipartSegment]]:
    found: list[tuple[str, str | bytes, MultipartSegment]] = []
    segment: MultipartSegment | None = None
    data = bytearray()
    try:
        with PushMultipartParser(boundary, max_segment_count=MAX_PARTS) as parser:
            # An empty chunk ends the input: a body cut short is an error, not a short form.
            for part in chain(parser.parse(raw), parser.parse(b"")):
                if isinstance(part, MultipartSegment):
                    segment, data = part, bytearray()
                elif part:
                    data += part
                elif segment is not None:  # the end of a part
                    # A file part has a file name (an empty one is an empty form field, as
                    # the framework reads it).
                    value: str | bytes = (bytes(data) if segment.filename
                                          else data.decode(segment.charset or "utf-8", "replace"))
                    found.append((segment.name or "", value, segment))
                    segment = None
    except ParserLimitReached as exc:
        raise errors.BadRequest("Invalid multipart/form-data: too many parts") from exc
    except ParserError as exc:
        raise errors.BadRequest("Invalid multipart/form-data") from exc
    return found
