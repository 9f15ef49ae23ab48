"""Duration, size and frame rate of an MP4, MOV or M4A, read from its boxes without decoding.

Clients lay a video out by ``meta.original`` width and height before it loads, and show its
length; without ffprobe this reads the few boxes that say so (``mvhd``, and the first video
track's ``tkhd``, ``mdhd`` and ``stsz``). Best effort: the file is stored as it came whatever
this finds, so a damaged or hostile file yields ``{}``, never an error. Every scan is bounded
(boxes per level, tracks), and every read is checked against the box that holds it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

_MAX_BOXES_PER_LEVEL = 10_000  # a fragmented MP4 has many top-level boxes; moov comes early
_MAX_TRACKS = 16

Span = tuple[int, int]  # a box's payload: start and end offsets in the file


def probe_iso_media(data: bytes) -> dict[str, Any]:
    """Mastodon's meta for a video or audio file: ``{"original": {...}, "duration", "fps"}``,
    with what could be read; ``{}`` when nothing could."""
    try:
        return _probe(data)
    except (struct.error, ValueError, ZeroDivisionError, OverflowError):
        return {}


def _probe(data: bytes) -> dict[str, Any]:
    moov = _first(data, (0, len(data)), b"moov")
    if moov is None:
        return {}
    original: dict[str, Any] = {}
    meta: dict[str, Any] = {"original": original}
    duration = _duration(data, _first(data, moov, b"mvhd"), timescale_at=(12, 20))
    if duration:
        meta["duration"] = original["duration"] = round(duration, 3)
    video = _video_track(data, moov)
    if video is not None:
        original.update(_track_size(data, video))
        fps = _frame_rate(data, video)
        if fps:
            meta["fps"] = round(fps)
            original["frame_rate"] = f"{round(fps * 1000)}/1000"
    return meta if original else {}


def _video_track(data: bytes, moov: Span) -> Span | None:
    for index, trak in enumerate(_children(data, moov, b"trak")):
        if index >= _MAX_TRACKS:
            return None
        mdia = _first(data, trak, b"mdia")
        hdlr = _first(data, mdia, b"hdlr") if mdia else None
        if hdlr and data[hdlr[0] + 8 : hdlr[0] + 12] == b"vide":
            return trak
    return None


def _track_size(data: bytes, trak: Span) -> dict[str, Any]:
    tkhd = _first(data, trak, b"tkhd")
    if tkhd is None or tkhd[1] - tkhd[0] < 84:
        return {}
    end = tkhd[1]
    width, height = (value >> 16 for value in struct.unpack_from(">II", data, end - 8))
    a, b = struct.unpack_from(">ii", data, end - 44)  # the transform matrix's first row
    if a == 0 and b != 0:  # turned a quarter: a phone held upright
        width, height = height, width
    if not (width and height):
        return {}
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def _frame_rate(data: bytes, trak: Span) -> float | None:
    """Samples (frames) over the track's own duration; ``stsz`` counts them in one field."""
    mdia = _first(data, trak, b"mdia")
    minf = _first(data, mdia, b"minf") if mdia else None
    stbl = _first(data, minf, b"stbl") if minf else None
    stsz = _first(data, stbl, b"stsz") if stbl else None
    seconds = _duration(data, _first(data, mdia, b"mdhd") if mdia else None, (12, 20))
    if not (stsz and seconds) or stsz[1] - stsz[0] < 12:
        return None
    samples = struct.unpack_from(">I", data, stsz[0] + 8)[0]
    return samples / seconds if samples else None


def _duration(data: bytes, box: Span | None, timescale_at: tuple[int, int]) -> float | None:
    """Seconds from an ``mvhd`` or ``mdhd``: timescale and duration sit at the same offsets in
    both, 32-bit in version 0 and 64-bit (after 64-bit times) in version 1."""
    if box is None or box[1] - box[0] < 32:
        return None
    start = box[0]
    if data[start] == 1:
        timescale, duration = struct.unpack_from(">IQ", data, start + timescale_at[1])
    else:
        timescale, duration = struct.unpack_from(">II", data, start + timescale_at[0])
    if not timescale or duration in (0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
        return None
    return float(duration / timescale)


def _first(data: bytes, span: Span, kind: bytes) -> Span | None:
    return next(_children(data, span, kind), None)


def _children(data: bytes, span: Span, kind: bytes) -> Iterator[Span]:
    offset, end = span
    for _ in range(_MAX_BOXES_PER_LEVEL):
        if offset + 8 > end:
            return
        size, box = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, offset + 8)[0], 16
        elif size == 0:  # to the end of its container
            size = end - offset
        if size < header or offset + size > end:
            return
        if box == kind:
            yield offset + header, offset + size
        offset += size
