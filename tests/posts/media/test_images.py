"""Images come out cleaned, oriented, sized as their meta says, with a preview and a blurhash;
avatars and headers come out at their exact sizes."""

from __future__ import annotations

import io
import string

import pytest
from blurhash_rs import blurhash_decode
from PIL import Image, PngImagePlugin

from services.posts.media import (
    MediaLimits,
    MediaRejected,
    Processed,
    process_avatar,
    process_header,
    process_media,
)
from tests.posts.media import craft

LIMITS = MediaLimits()
BASE83 = set(string.digits + string.ascii_letters + "#$%*+,-.:;=?@[]^_{|}~")


def opened(data: bytes | None) -> Image.Image:
    assert data is not None
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_meta_matches(processed: Processed) -> None:
    for name, data in (("original", processed.original), ("small", processed.small)):
        width, height = opened(data).size
        assert processed.meta[name] == {"width": width, "height": height,
                                        "size": f"{width}x{height}", "aspect": width / height}


def assert_no_metadata(data: bytes | None) -> None:
    image = opened(data)
    assert len(image.getexif()) == 0
    assert image.getexif().get_ifd(0x8825) == {}
    assert not {"exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"} & set(image.info)
    assert data is not None
    for secret in (b"SpyCam", b"Exif\x00", b"secret", b"xmpmeta", b"PK\x03\x04", b"alert"):
        assert secret not in data


@pytest.mark.parametrize(("fmt", "mode", "content_type", "small_type"), [
    ("JPEG", "RGB", "image/jpeg", "image/jpeg"),
    ("PNG", "RGB", "image/png", "image/jpeg"),
    ("PNG", "RGBA", "image/png", "image/webp"),
    ("WEBP", "RGB", "image/webp", "image/jpeg"),
    ("WEBP", "RGBA", "image/webp", "image/webp"),
    ("GIF", "RGB", "image/gif", "image/jpeg"),
    ("AVIF", "RGB", "image/jpeg", "image/jpeg"),
    ("AVIF", "RGBA", "image/png", "image/webp"),
    ("HEIF", "RGB", "image/jpeg", "image/jpeg"),
])
def test_formats(fmt: str, mode: str, content_type: str, small_type: str) -> None:
    processed = process_media(craft.encoded(craft.picture((900, 500), mode), fmt), LIMITS)
    assert (processed.kind, processed.content_type, processed.small_content_type) == (
        "image", content_type, small_type)
    assert processed.extension == {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif",
                                   "image/webp": "webp"}[content_type]
    assert opened(processed.original).get_format_mimetype() == content_type
    assert opened(processed.small).get_format_mimetype() == small_type
    assert_meta_matches(processed)
    assert processed.meta["original"]["size"] == "900x500"
    assert processed.meta["small"]["size"] == "640x356"


def test_exif_orientation_is_applied_to_the_pixels() -> None:
    # Orientation 6: the camera stored the picture on its side; shown turned 90° clockwise.
    stored = craft.encoded(craft.picture((300, 100)), "JPEG", exif=craft.gps_exif(6))
    processed = process_media(stored, LIMITS)
    original = opened(processed.original)
    assert original.size == (100, 300)
    assert opened(processed.small).size == (100, 300)
    assert processed.meta["original"]["aspect"] == pytest.approx(1 / 3)
    # The stored top-left corner (red) is now the top-right one.
    right_corner, left_corner = original.getpixel((95, 5)), original.getpixel((5, 5))
    assert all(abs(a - b) < 40 for a, b in zip(right_corner, (255, 0, 0), strict=True))  # type: ignore[arg-type]
    assert left_corner != right_corner


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_gps_and_every_other_metadata_are_gone_from_both_outputs(fmt: str) -> None:
    options: dict[str, object] = {"exif": craft.gps_exif(), "icc_profile": craft.SRGB_ICC}
    if fmt == "JPEG":
        options.update(comment=b"secret comment", xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "secret")
        text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret</x:xmpmeta>")
        options["pnginfo"] = text
    data = craft.encoded(craft.picture(), fmt, **options)
    assert opened(data).getexif().get_ifd(0x8825), "the input carries a GPS position"
    processed = process_media(data, LIMITS)
    assert_no_metadata(processed.original)
    assert_no_metadata(processed.small)


def test_colours_survive_the_sRGB_conversion() -> None:
    data = craft.encoded(Image.new("RGB", (50, 50), (40, 90, 160)), "PNG",
                         icc_profile=craft.SRGB_ICC)
    pixel = opened(process_media(data, LIMITS).original).getpixel((25, 25))
    assert all(abs(a - b) <= 2 for a, b in zip(pixel, (40, 90, 160), strict=True))  # type: ignore[arg-type]


def test_a_broken_icc_profile_is_dropped_not_fatal() -> None:
    data = craft.encoded(craft.picture(), "JPEG", icc_profile=b"not a profile at all" * 8)
    assert "icc_profile" not in opened(process_media(data, LIMITS).original).info


def test_an_original_over_the_side_limit_is_downscaled() -> None:
    limits = MediaLimits(original_max_side=300, preview_max_side=120)
    processed = process_media(craft.encoded(craft.picture((1200, 600)), "JPEG"), limits)
    assert processed.meta["original"]["size"] == "300x150"
    assert processed.meta["small"]["size"] == "120x60"
    assert_meta_matches(processed)


def test_a_small_image_is_not_enlarged() -> None:
    processed = process_media(craft.encoded(craft.picture((40, 30)), "PNG"), LIMITS)
    assert processed.meta["original"]["size"] == processed.meta["small"]["size"] == "40x30"


def test_sixteen_bit_greys_keep_their_levels() -> None:
    grey = Image.new("I;16", (8, 8), 0)
    grey.putpixel((0, 0), 65535)
    grey.putpixel((1, 0), 32768)
    original = opened(process_media(craft.encoded(grey, "PNG"), LIMITS).original)
    assert [original.getpixel((x, 0)) for x in range(3)] == [(255,) * 3, (128,) * 3, (0,) * 3]


def test_the_blurhash_decodes_and_carries_the_colour() -> None:
    processed = process_media(craft.encoded(Image.new("RGB", (400, 300), (30, 120, 200)),
                                            "JPEG"), LIMITS)
    assert processed.blurhash is not None
    assert len(processed.blurhash) == 4 + 2 * 4 * 3  # 4x3 components
    assert set(processed.blurhash) <= BASE83
    decoded = blurhash_decode(processed.blurhash, 16, 12)
    assert all(abs(a - b) < 12 for a, b in zip(decoded.getpixel((8, 6)), (30, 120, 200),
                                               strict=True))  # type: ignore[arg-type]


def test_a_transparent_image_blurs_on_white() -> None:
    data = craft.encoded(Image.new("RGBA", (100, 100), (0, 0, 0, 0)), "PNG")
    blurhash = process_media(data, LIMITS).blurhash
    assert blurhash is not None
    assert blurhash_decode(blurhash, 4, 4).getpixel((2, 2)) == (255, 255, 255)


def test_focus_is_echoed_in_meta() -> None:
    data = craft.encoded(craft.picture(), "JPEG")
    assert process_media(data, LIMITS, focus=(-0.5, 0.25)).meta["focus"] == {"x": -0.5, "y": 0.25}
    assert "focus" not in process_media(data, LIMITS).meta
    assert process_media(b"%PDF-1.4 ...", LIMITS, focus=(0, 1)).meta == {
        "focus": {"x": 0.0, "y": 1.0}}


@pytest.mark.parametrize("focus", [(1.5, 0.0), (0.0, -1.01), (float("nan"), 0.0),
                                   (float("inf"), 0.0), (0.1,), (0.1, 0.2, 0.3)])
def test_a_focus_out_of_range_is_refused(focus: tuple[float, float]) -> None:
    with pytest.raises(MediaRejected, match="focus"):
        process_media(craft.encoded(craft.picture(), "JPEG"), LIMITS, focus=focus)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_an_animation_keeps_its_frames_and_reports_its_timing(fmt: str) -> None:
    processed = process_media(craft.animated(fmt, frames=6, duration=50), LIMITS)
    original = opened(processed.original)
    assert processed.kind == "image"
    assert original.format == fmt
    assert getattr(original, "n_frames", 1) == 6
    assert (processed.meta["duration"], processed.meta["fps"]) == (0.3, 20)
    assert getattr(opened(processed.small), "n_frames", 1) == 1  # the preview is frame one
    assert_meta_matches(processed)


def test_an_animated_gif_keeps_its_transparency() -> None:
    frames = [Image.new("RGBA", (20, 20), (255, 0, 0, 0)) for _ in range(3)]
    for index, frame in enumerate(frames):
        frame.paste((0, 0, 255, 255), (index * 5, 0, index * 5 + 5, 5))
    data = craft.encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=80,
                         disposal=2, loop=0)
    original = opened(process_media(data, LIMITS).original)
    assert original.convert("RGBA").getpixel((19, 19))[3] == 0  # type: ignore[index]


def test_an_animation_over_the_side_limit_is_downscaled_frame_by_frame() -> None:
    limits = MediaLimits(original_max_side=30)
    original = opened(process_media(craft.animated("GIF", frames=4), limits).original)
    assert original.size == (30, 20)
    assert getattr(original, "n_frames", 1) == 4


def test_an_avatar_is_a_square_of_avatar_side() -> None:
    processed = process_avatar(craft.encoded(craft.picture((900, 300)), "JPEG"), LIMITS)
    assert opened(processed.original).size == (400, 400)
    assert processed.meta == {"original": {"width": 400, "height": 400, "size": "400x400",
                                           "aspect": 1.0}}
    assert (processed.content_type, processed.small, processed.blurhash) == (
        "image/jpeg", None, None)


def test_a_small_avatar_is_enlarged_to_the_square() -> None:
    processed = process_avatar(craft.encoded(craft.picture((50, 80), "RGBA"), "PNG"), LIMITS)
    assert opened(processed.original).size == (400, 400)
    assert processed.content_type == "image/png"


def test_a_header_is_header_size() -> None:
    stored = craft.encoded(craft.picture((800, 800)), "WEBP", exif=craft.gps_exif(6))
    processed = process_header(stored, LIMITS)
    assert opened(processed.original).size == (1500, 500)
    assert processed.content_type == "image/webp"
    assert_no_metadata(processed.original)


def test_an_animated_avatar_keeps_its_first_frame_as_a_still() -> None:
    processed = process_avatar(craft.animated("GIF"), LIMITS)
    original = opened(processed.original)
    assert (original.format, getattr(original, "n_frames", 1)) == ("JPEG", 1)


@pytest.mark.parametrize("process", [process_avatar, process_header])
def test_an_avatar_or_header_must_be_an_image(process: object) -> None:
    with pytest.raises(MediaRejected, match="must be a JPEG, PNG"):
        process(b"%PDF-1.4 not an image", LIMITS)  # type: ignore[operator]
