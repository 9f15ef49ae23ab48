"""Hostile and broken input ends as a MediaRejected with a reason, or as a clean output without
the payload: never another exception, never a decoded bomb."""

from __future__ import annotations

import struct
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from services.posts.media import (
    MediaLimits,
    MediaRejected,
    Processed,
    check_upload,
    process_avatar,
    process_media,
)
from tests.posts.media import craft

LIMITS = MediaLimits()
DAMAGED = "could not be read"


def test_zero_bytes() -> None:
    with pytest.raises(MediaRejected, match="empty"):
        process_media(b"", LIMITS)
    with pytest.raises(MediaRejected, match="empty"):
        check_upload(b"", 0, LIMITS)


def test_a_truncated_jpeg() -> None:
    data = craft.encoded(craft.picture((400, 300)), "JPEG")
    with pytest.raises(MediaRejected, match=DAMAGED):
        process_media(data[: len(data) // 2], LIMITS)


def test_a_png_with_a_bad_crc() -> None:
    data = bytearray(craft.encoded(craft.picture(), "PNG"))
    data[29] ^= 0xFF  # the IHDR chunk's CRC
    with pytest.raises(MediaRejected, match=DAMAGED):
        process_media(bytes(data), LIMITS)


def test_a_png_with_corrupt_pixel_data() -> None:
    data = bytearray(craft.encoded(craft.picture(), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 2 : start + 40] = b"\xa5" * 38
    with pytest.raises(MediaRejected, match=DAMAGED):
        process_media(bytes(data), LIMITS)


def test_a_text_file_named_jpg_is_an_unknown_file_not_an_image() -> None:
    text = b"definitely a photo, trust me\n"
    processed = process_media(text, LIMITS)
    assert (processed.kind, processed.content_type, processed.original) == (
        "unknown", "text/plain", text)
    assert (processed.small, processed.blurhash) == (None, None)
    with pytest.raises(MediaRejected, match="must be a JPEG"):
        process_avatar(text, LIMITS)


def test_an_svg_is_never_processed_as_an_image() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    processed = process_media(svg, LIMITS)
    assert (processed.kind, processed.content_type, processed.extension) == (
        "unknown", "application/octet-stream", "bin")


def test_magic_bytes_then_garbage() -> None:
    for magic in (b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\x10\x00\x00\x00WEBP",
                  b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1",
                  b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00heic"):
        with pytest.raises(MediaRejected, match=DAMAGED):
            process_media(magic + b"\x13\x37" * 500, LIMITS)


def test_a_gif_that_is_also_a_script() -> None:
    data = craft.gif_js_polyglot()
    assert data.startswith(b"GIF89a/*") and b"alert(document.cookie)" in data
    try:
        processed = process_media(data, LIMITS)
    except MediaRejected:
        return
    assert b"alert" not in processed.original and not processed.original.startswith(b"GIF89a/*")


def test_a_script_appended_to_a_gif_is_left_behind() -> None:
    processed = process_media(craft.gif(3, trailer=b"<script>alert(1)</script>"), LIMITS)
    assert processed.content_type == "image/gif"
    assert b"alert" not in processed.original


def test_a_zip_appended_to_a_jpeg_is_left_behind() -> None:
    payload = craft.zip_archive({"evil.html": b"<script>alert(1)</script>"})
    data = craft.encoded(craft.picture(), "JPEG") + payload
    processed = process_media(data, LIMITS)
    assert processed.content_type == "image/jpeg"
    assert b"PK\x03\x04" not in processed.original and b"evil" not in processed.original
    assert processed.small is not None and b"PK\x03\x04" not in processed.small


def test_a_png_bomb_is_refused_before_decoding() -> None:
    bomb = craft.png_bomb(30000, 30000)
    assert len(bomb) < 2000  # 2.7 GB once decoded
    started = time.monotonic()
    with pytest.raises(MediaRejected, match="too large to process"):
        process_media(bomb, LIMITS)
    assert time.monotonic() - started < 1


def test_the_pixel_limit_is_the_one_in_the_limits() -> None:
    data = craft.encoded(craft.picture((300, 200)), "PNG")
    with pytest.raises(MediaRejected, match="too large to process: 300x200"):
        process_media(data, MediaLimits(image_max_pixels=300 * 200 - 1))
    assert process_media(data, MediaLimits(image_max_pixels=300 * 200)).kind == "image"


def test_a_bomb_past_pillows_own_limit_is_still_a_media_rejected() -> None:
    # Limits laxer than Pillow's second line: its DecompressionBombError must not escape.
    lax = MediaLimits(image_max_pixels=10**10)
    with pytest.raises(MediaRejected, match="too large to process: more than"):
        process_media(craft.png_bomb(30000, 30000), lax)


def test_a_gif_of_ten_thousand_frames() -> None:
    data = craft.gif(10_000)
    with pytest.raises(MediaRejected, match="too many frames: 10000"):
        process_media(data, LIMITS)


def test_frames_times_pixels_is_bounded() -> None:
    # Five 1x1 frames on a 4000x4000 screen: each frame decodes to the whole screen.
    with pytest.raises(MediaRejected, match="4000x4000 in 5 frames"):
        process_media(craft.gif(5, screen=(4000, 4000)), LIMITS)


def test_an_image_over_the_byte_limit() -> None:
    data = craft.encoded(craft.picture(), "PNG")
    with pytest.raises(MediaRejected, match="too large"):
        process_media(data, MediaLimits(image_max_bytes=len(data) - 1))
    with pytest.raises(MediaRejected, match="image files may have"):
        check_upload(data[:4096], 17 * 1024 * 1024, LIMITS)


@pytest.mark.parametrize(("head", "size", "allowed"), [
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isom", 99 * 1024 * 1024, True),
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isom", 99 * 1024 * 1024 + 1, False),
    (b"ID3\x04\x00", 99 * 1024 * 1024, True),
    (b"%PDF-1.7", 40 * 1024 * 1024, True),
    (b"%PDF-1.7", 40 * 1024 * 1024 + 1, False),
    (b"\xff\xd8\xff\xe0", 16 * 1024 * 1024 + 1, False),
])
def test_the_byte_limit_follows_the_kind(head: bytes, size: int, allowed: bool) -> None:
    if allowed:
        check_upload(head, size, LIMITS)
    else:
        with pytest.raises(MediaRejected, match="too large"):
            check_upload(head, size, LIMITS)


def test_a_jpeg_of_endless_progressive_scans() -> None:
    data = craft.encoded(craft.picture(), "JPEG", comment=b"\xff\xda" * 101)
    with pytest.raises(MediaRejected, match="progressive scans"):
        process_media(data, LIMITS)


def test_other_files_are_stored_as_they_came() -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 10
    processed = process_media(pdf, LIMITS)
    assert (processed.kind, processed.content_type, processed.extension) == (
        "unknown", "application/pdf", "pdf")
    assert processed.original is pdf


SAMPLES = [craft.encoded(craft.picture((48, 32)), fmt) for fmt in ("JPEG", "PNG", "WEBP", "GIF")]
SAMPLES.append(craft.animated("GIF", frames=3))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                          max_size=8), st.integers(8, 10**6))
def test_damaged_images_are_rejected_or_cleaned_never_raised(
    sample: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(sample[:cut])
    for position, value in flips if len(data) > 8 else []:
        data[8 + position % (len(data) - 8)] = value
    try:
        result = process_media(bytes(data), LIMITS)
    except MediaRejected as rejected:
        assert rejected.reason
    else:
        assert isinstance(result, Processed)


@pytest.mark.parametrize("width", [0, 2**31 - 1, 2**32 - 1])
def test_absurd_declared_sizes(width: int) -> None:
    header = craft.png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, 1, 8, 2, 0, 0, 0))
    data = b"\x89PNG\r\n\x1a\n" + header + craft.png_chunk(b"IEND", b"")
    with pytest.raises(MediaRejected):
        process_media(data, LIMITS)


def test_pillow_is_left_strict_about_truncation() -> None:
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert Image.MAX_IMAGE_PIXELS == LIMITS.image_max_pixels
