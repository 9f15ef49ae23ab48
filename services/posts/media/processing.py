"""Media processing: bytes in, cleaned bytes and Mastodon's attachment meta out.

Pure and synchronous, so that the media worker runs it in a ``ProcessPoolExecutor``: a hostile
file that crashes a codec or eats memory takes down one pool process, not the worker. Arguments
and results pickle (bytes, ``MediaLimits`` and ``Processed`` are msgspec Structs, which pickle;
``MediaRejected`` keeps its reason in ``args``). CPU time is the caller's to bound (a timeout on
the future): nothing here can stop a decoder that is slow but within the limits.

What is stripped, and why. Every image is decoded and encoded again, never copied: EXIF (GPS
position, camera serial, the time), XMP, IPTC, comments and ICC profiles do not survive, and
neither does anything appended after the image's end (a ZIP or a script riding on a JPEG or a
GIF: a polyglot). Orientation is applied to the pixels first, so dropping the EXIF tag does not
turn a portrait on its side; colours are converted to sRGB, so dropping the ICC profile does not
shift them.

What the limits guard against. Bytes per kind (``check_upload``, also on the request path);
the declared width x height (x frames, for animations) before any pixel is decoded, so a
decompression bomb is a ``MediaRejected`` and never a ``MemoryError``; frames of an animation;
progressive JPEG scans (each scan re-decodes the whole image: thousands of them turn a small
file into minutes of CPU). Pillow's own bomb check (``Image.MAX_IMAGE_PIXELS``) stays as a
second line, and whatever a decoder raises on damaged input becomes a ``MediaRejected``.

Formats. JPEG, PNG, GIF and WebP keep their format (animated GIF, PNG and WebP keep their
frames); AVIF (Pillow's own plugin) and HEIC (``pillow-heif``) become JPEG, or PNG when they
have transparency, as Mastodon does: browsers do not all show them. Animated GIFs stay GIFs of
kind "image": making Mastodon's "gifv" (an MP4) needs ffmpeg, which this project does not
ship (``gifv_converter()`` says whether one is present; no conversion is wired yet). The preview
of an animation is its first frame. Video, audio and other files are stored as they came: only
their type (by content) and size are checked; MP4, MOV and M4A get their size, duration and
frame rate in meta from their boxes (``probe.py``), other videos an empty meta.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from io import BytesIO
from typing import Any, NamedTuple

import msgspec
import pillow_heif
from blurhash_rs import blurhash_encode
from PIL import Image, ImageCms, ImageOps

from services.posts.media.probe import probe_iso_media
from shared.media.limits import MediaLimits
from shared.media.sniff import SNIFF_BYTES, MediaKind, Sniffed
from shared.media.upload_check import MediaRejected, check_upload

# HEIC through pillow-heif, limited to the primary image: thumbnails, depth maps and auxiliary
# images are more parsing of hostile input for nothing. One thread: the pool is the parallelism.
pillow_heif.register_heif_opener(
    thumbnails=False, depth_images=False, aux_images=False, decode_threads=1
)
# A second line behind the explicit check of declared dimensions (``_open``): above this Pillow
# warns, above twice this it raises DecompressionBombError, both turned into MediaRejected.
Image.MAX_IMAGE_PIXELS = MediaLimits().image_max_pixels

_PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/avif": "AVIF",
    "image/heic": "HEIF",
}
_ANIMATABLE = {"GIF", "PNG", "WEBP"}
_ISO_MEDIA = {"video/mp4", "video/quicktime", "video/3gpp", "audio/mp4"}
_OUTPUT_TYPES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 85, "optimize": True},
    "PNG": {},
    "GIF": {},
    "WEBP": {"quality": 85, "method": 4},
}
_JPEG_MAX_SCANS = 100  # a progressive JPEG has about 10; the marker cannot occur in coded data
_BLURHASH_SIDE = 64  # a blurhash of 4x3 components reads no detail finer than this
_BLURHASH_COMPONENTS = (4, 3)
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class Processed(msgspec.Struct, frozen=True):
    kind: MediaKind
    content_type: str
    extension: str
    original: bytes  # re-encoded and stripped (images), or the input unchanged (other files)
    small: bytes | None  # the preview (JPEG, or WebP with transparency); None for files
    small_content_type: str | None
    # Mastodon's attachment meta: {"original": {"width", "height", "size", "aspect"},
    # "small": {...}}, "focus": {"x", "y"} when given, "duration" (s) and "fps" for animations;
    # for MP4/MOV/M4A what probe.py reads ({"original": {... "duration", "frame_rate"}, ...}).
    meta: dict[str, Any]
    blurhash: str | None


class _Picture(NamedTuple):
    """Decoded frames: oriented, in sRGB, RGB or RGBA, with no metadata left on them."""

    frames: list[Image.Image]
    durations: list[int]  # milliseconds per frame
    loop: int | None  # GIF/WebP/APNG loop count; None: play once
    source: str  # Pillow's name of the input format


def gifv_converter() -> str | None:
    """What could turn an animated GIF into Mastodon's gifv (an MP4), if anything."""
    if shutil.which("ffmpeg"):
        return "ffmpeg"
    return "pyav" if find_spec("av") is not None else None


def process_media(
    data: bytes, limits: MediaLimits, *, focus: tuple[float, float] | None = None
) -> Processed:
    """An attachment: images cleaned with a preview and a blurhash; other files as they are."""
    sniffed = check_upload(data[:SNIFF_BYTES], len(data), limits)
    extra = {"focus": _focus_meta(focus)} if focus is not None else {}
    if sniffed.kind != "image":
        meta = probe_iso_media(data) if sniffed.content_type in _ISO_MEDIA else {}
        return Processed(
            sniffed.kind,
            sniffed.content_type,
            sniffed.extension,
            data,
            None,
            None,
            meta | extra,
            None,
        )
    with _rejecting_bad_images():
        picture = _decode(data, sniffed, limits, animate=True)
        picture = _fit_within(picture, limits.original_max_side)
        return _attachment(picture, limits, extra)


def process_avatar(data: bytes, limits: MediaLimits) -> Processed:
    """A square avatar of ``avatar_side``, cropped around the centre; animations keep frame 1."""
    return _profile_image(data, limits, (limits.avatar_side, limits.avatar_side))


def process_header(data: bytes, limits: MediaLimits) -> Processed:
    """A profile header of exactly ``header_size``, cropped to cover it around the centre."""
    return _profile_image(data, limits, limits.header_size)


def _profile_image(data: bytes, limits: MediaLimits, size: tuple[int, int]) -> Processed:
    sniffed = check_upload(data[:SNIFF_BYTES], len(data), limits)
    if sniffed.kind != "image":
        raise MediaRejected("The file must be a JPEG, PNG, GIF, WebP, AVIF or HEIC image")
    with _rejecting_bad_images():
        picture = _decode(data, sniffed, limits, animate=False)
        frame = ImageOps.fit(picture.frames[0], size, Image.Resampling.LANCZOS)
        output = _output_format(picture.source, frame, still=True)
        content_type, extension = _OUTPUT_TYPES[output]
        original = _encode([frame], [], None, output)
    meta = {"original": _size_meta(*frame.size)}
    return Processed("image", content_type, extension, original, None, None, meta, None)


def _attachment(picture: _Picture, limits: MediaLimits, extra: dict[str, Any]) -> Processed:
    first = picture.frames[0]
    output = _output_format(picture.source, first, still=False)
    content_type, extension = _OUTPUT_TYPES[output]
    original = _encode(picture.frames, picture.durations, picture.loop, output)
    preview = first.copy()
    preview.thumbnail((limits.preview_max_side, limits.preview_max_side), Image.Resampling.LANCZOS)
    small_format = "WEBP" if _has_alpha(preview) else "JPEG"
    small = _encode([preview], [], None, small_format)
    meta = {"original": _size_meta(*first.size), "small": _size_meta(*preview.size)}
    meta.update(_animation_meta(picture.durations))
    meta.update(extra)
    return Processed(
        "image",
        content_type,
        extension,
        original,
        small,
        _OUTPUT_TYPES[small_format][0],
        meta,
        _blurhash(preview),
    )


@contextmanager
def _rejecting_bad_images() -> Iterator[None]:
    """Whatever a decoder raises on hostile input (OSError, SyntaxError, ValueError, struct
    errors, EOFError, MemoryError...) becomes a MediaRejected; the cause stays chained for
    the worker's log."""
    try:
        yield
    except MediaRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaRejected(
            f"The image is too large to process: more than {Image.MAX_IMAGE_PIXELS:,} pixels"
        ) from exc
    except Exception as exc:
        raise MediaRejected(
            "The image could not be read: the file is damaged or is not the image it claims"
        ) from exc


def _decode(data: bytes, sniffed: Sniffed, limits: MediaLimits, *, animate: bool) -> _Picture:
    source = _PILLOW_FORMATS[sniffed.content_type]
    if source == "JPEG" and data.count(b"\xff\xda") > _JPEG_MAX_SCANS:
        raise MediaRejected("The JPEG has too many progressive scans to process")
    with Image.open(BytesIO(data), formats=[source]) as image:  # reads the header only
        animate = animate and source in _ANIMATABLE and getattr(image, "is_animated", False)
        count: int = getattr(image, "n_frames", 1) if animate else 1
        _check_dimensions(image.size, count, limits)
        if source == "JPEG":  # decode at a reduced scale what would be downscaled anyway
            image.draft(None, (limits.original_max_side, limits.original_max_side))
        orientation = _ORIENTATION.get(image.getexif().get(0x0112, 1))
        # Frames of one animation share a mode; a GIF's later frames may add transparency.
        mode = "RGBA" if animate else None
        frames, durations = [], []
        for index in range(count):
            image.seek(index)
            frames.append(_clean_frame(image, orientation, mode))
            durations.append(int(image.info.get("duration") or 0))
        return _Picture(frames, durations, image.info.get("loop"), source)


def _check_dimensions(size: tuple[int, int], frames: int, limits: MediaLimits) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise MediaRejected("The image has no pixels")
    if frames > limits.image_max_frames:
        raise MediaRejected(
            f"The animation has too many frames: {frames}, at most {limits.image_max_frames}"
        )
    if width * height * frames > limits.image_max_pixels:
        shown = f"{width}x{height}" + (f" in {frames} frames" if frames > 1 else "")
        raise MediaRejected(
            f"The image is too large to process: {shown}, "
            f"at most {limits.image_max_pixels:,} pixels in all"
        )


def _clean_frame(
    image: Image.Image, orientation: Image.Transpose | None, mode: str | None
) -> Image.Image:
    """The current frame as a new RGB or RGBA image in sRGB, with nothing of the file's info."""
    if mode is None:
        alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
        mode = "RGBA" if alpha else "RGB"
    frame = _to_srgb(_eight_bit(image), image.info.get("icc_profile"), mode)
    if orientation is not None:
        frame = frame.transpose(orientation)
    if frame is image:
        frame = image.copy()
    frame.info = {}
    return frame


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit and float greys scaled to 8 bits (a plain convert would clip them to white)."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image


def _to_srgb(image: Image.Image, icc: bytes | None, mode: str) -> Image.Image:
    if icc:
        try:
            source = image if image.mode in ("RGB", "RGBA", "CMYK", "L") else image.convert(mode)
            profile = ImageCms.ImageCmsProfile(BytesIO(icc))
            converted = ImageCms.profileToProfile(source, profile, _SRGB, outputMode=mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken or mismatched profile is dropped: colours stay as they were coded
    return image.convert(mode)


def _fit_within(picture: _Picture, side: int) -> _Picture:
    width, height = picture.frames[0].size
    if max(width, height) <= side:
        return picture
    size = _fitted(width, height, side)
    frames = [frame.resize(size, Image.Resampling.LANCZOS) for frame in picture.frames]
    return picture._replace(frames=frames)


def _fitted(width: int, height: int, side: int) -> tuple[int, int]:
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _has_alpha(frame: Image.Image) -> bool:
    return frame.mode == "RGBA" and frame.getchannel("A").getextrema() != (255, 255)


def _output_format(source: str, frame: Image.Image, *, still: bool) -> str:
    """The input's format where browsers show it; a still avatar or header from a GIF, and any
    AVIF or HEIC, become PNG when transparent and JPEG otherwise."""
    if source in ("JPEG", "PNG", "WEBP") or (source == "GIF" and not still):
        return source
    return "PNG" if _has_alpha(frame) else "JPEG"


def _encode(
    frames: list[Image.Image], durations: list[int], loop: int | None, output: str
) -> bytes:
    first = frames[0]
    if output == "JPEG" and first.mode != "RGB":
        first = first.convert("RGB")  # RGBA whose alpha is all opaque
    options = dict(_SAVE_OPTIONS[output])
    if len(frames) > 1:
        options.update(save_all=True, append_images=frames[1:], duration=durations)
        if loop is not None:
            options["loop"] = loop
    buffer = BytesIO()
    first.save(buffer, output, **options)
    return buffer.getvalue()


def _blurhash(preview: Image.Image) -> str:
    tiny = preview.copy()
    tiny.thumbnail((_BLURHASH_SIDE, _BLURHASH_SIDE), Image.Resampling.BOX)
    if tiny.mode == "RGBA":  # transparent pixels hold any colour: show them on white
        flat = Image.new("RGB", tiny.size, (255, 255, 255))
        flat.paste(tiny, mask=tiny.getchannel("A"))
        tiny = flat
    return blurhash_encode(tiny, *_BLURHASH_COMPONENTS)


def _size_meta(width: int, height: int) -> dict[str, Any]:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def _animation_meta(durations: list[int]) -> dict[str, Any]:
    total = sum(durations) / 1000
    if len(durations) < 2 or total <= 0:
        return {}
    return {"duration": total, "fps": round(len(durations) / total)}


def _focus_meta(focus: tuple[float, float]) -> dict[str, float]:
    if len(focus) != 2 or not all(
        isinstance(v, int | float) and math.isfinite(v) and -1 <= v <= 1 for v in focus
    ):
        raise MediaRejected("The focus must be two numbers from -1.0 to 1.0")
    return {"x": float(focus[0]), "y": float(focus[1])}
