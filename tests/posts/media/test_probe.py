"""MP4, MOV and M4A files get their size, duration and frame rate in meta, read from their
boxes; a damaged one gets an empty meta and is stored all the same."""

from __future__ import annotations

import random
import struct

import pytest

from services.posts.media import MediaLimits, process_media
from services.posts.media.probe import probe_iso_media
from tests.posts.media import craft

LANDSCAPE = {"width": 1280, "height": 720, "size": "1280x720", "aspect": 1280 / 720}


@pytest.mark.parametrize("variant", [{}, {"version": 1}, {"moov_last": True}])
def test_a_video_gets_its_size_duration_and_frame_rate(variant: dict[str, bool | int]) -> None:
    meta = probe_iso_media(craft.mp4(**variant))  # type: ignore[arg-type]
    assert meta == {"duration": 10.0, "fps": 30, "original": {
        **LANDSCAPE, "duration": 10.0, "frame_rate": "30000/1000"}}


def test_a_video_shot_upright_is_taller_than_wide() -> None:
    meta = probe_iso_media(craft.mp4((1920, 1080), rotated=True))
    assert meta["original"]["size"] == "1080x1920"


def test_audio_gets_its_duration_only() -> None:
    data = craft.mp4(None, seconds=62.5)
    assert probe_iso_media(data) == {"duration": 62.5, "original": {"duration": 62.5}}
    processed = process_media(data, MediaLimits())
    assert (processed.kind, processed.content_type, processed.meta["duration"]) == (
        "audio", "audio/mp4", 62.5)


def test_process_media_stores_a_video_unchanged_with_its_meta() -> None:
    data = craft.mp4()
    processed = process_media(data, MediaLimits(), focus=(0.0, 0.5))
    assert (processed.kind, processed.content_type, processed.original) == (
        "video", "video/mp4", data)
    assert processed.meta["original"]["size"] == "1280x720"
    assert processed.meta["focus"] == {"x": 0.0, "y": 0.5}
    assert (processed.small, processed.blurhash) == (None, None)


@pytest.mark.parametrize("damage", [
    lambda d: d[: len(d) // 2],  # cut inside moov
    lambda d: d.replace(b"moov", b"free"),
    lambda d: d[:24] + struct.pack(">I", 0xFFFFFFF0) + d[28:],  # moov larger than the file
    lambda d: d[:24] + struct.pack(">I", 1) + d[28:32] + struct.pack(">Q", 2**63) + d[40:],
    lambda d: d[:24] + struct.pack(">I", 3) + d[28:],  # smaller than its own header
])
def test_a_damaged_video_gets_an_empty_meta(damage: object) -> None:
    data = damage(craft.mp4())  # type: ignore[operator]
    assert probe_iso_media(data) == {}
    assert process_media(data, MediaLimits()).original == data


def test_a_zero_timescale_or_size_is_left_out() -> None:
    data = craft.mp4((0, 0), seconds=0)
    assert probe_iso_media(data) == {}


def test_a_sea_of_tiny_boxes_is_not_walked_to_the_end() -> None:
    video = craft.mp4()
    ftyp, rest = video[:24], video[24:]
    assert probe_iso_media(ftyp + b"\x00\x00\x00\x08free" * 100 + rest) != {}
    assert probe_iso_media(ftyp + b"\x00\x00\x00\x08free" * 200_000 + rest) == {}


def test_random_damage_never_raises() -> None:
    rng = random.Random(18)
    sample = craft.mp4()
    for _ in range(2000):
        data = bytearray(sample)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        assert isinstance(probe_iso_media(bytes(data)), dict)
