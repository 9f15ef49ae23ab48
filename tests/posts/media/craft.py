"""Files for the media tests, made in code: real images from Pillow, and hostile ones built
byte by byte (a bomb's header, a GIF of 10,000 frames) that no encoder would write."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Any

from PIL import Image, ImageCms, ImageDraw

SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def picture(size: tuple[int, int] = (320, 200), mode: str = "RGB") -> Image.Image:
    """A picture with a red mark in its top-left corner, to see where that corner went."""
    colour: Any = (40, 90, 160) if mode == "RGB" else (40, 90, 160, 200)
    image = Image.new(mode, size, colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 5, size[1] // 5), fill="red")
    draw.ellipse((size[0] // 3, size[1] // 3, size[0] // 2, size[1] // 2), fill="yellow")
    return image


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    return exif


def animation(frames: int = 5, size: tuple[int, int] = (60, 40)) -> list[Image.Image]:
    return [Image.new("RGB", size, (i * 40 % 256, 80, 200 - i * 30 % 200)) for i in range(frames)]


def animated(fmt: str, frames: int = 5, duration: int = 100) -> bytes:
    first, *rest = animation(frames)
    return encoded(first, fmt, save_all=True, append_images=rest, duration=duration, loop=0)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG header declaring width x height RGB pixels, with a few rows of data: tiny on disk,
    2.7 GB once decoded."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    rows = zlib.compress(b"\x00" * (1 + 3 * width) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def gif(frames: int, screen: tuple[int, int] = (1, 1), trailer: bytes = b"") -> bytes:
    """A GIF of 1x1 frames on a logical screen of ``screen``, written by hand."""
    head = b"GIF89a" + struct.pack("<HH", *screen) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (
        b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 100 ms
        + b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00"  # 1x1 at (0, 0)
        + b"\x02\x02\x44\x01\x00"  # LZW: one pixel of colour 0
    )
    return head + loop + frame * frames + b"\x3b" + trailer


def gif_js_polyglot() -> bytes:
    """Both a GIF and a script: the header's width is "/*", the script ends the comment."""
    head = b"GIF89a/*\x0a\x00\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00"
    return head + frame + b"\x3b*/=1;alert(document.cookie);//"


def zip_archive(entries: dict[str, bytes], *, streamed: bool = False) -> bytes:
    """A ZIP; ``streamed`` writes it to an unseekable stream, as Java and LibreOffice do: the
    sizes follow each entry's data instead of preceding it."""
    buffer = io.BytesIO()
    target: Any = _Unseekable(buffer) if streamed else buffer
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=method)
    return buffer.getvalue()


def office(kind: str, *, streamed: bool = False) -> bytes:
    folder, main = {"docx": ("word", "wordprocessingml.document.main"),
                    "xlsx": ("xl", "spreadsheetml.sheet.main"),
                    "pptx": ("ppt", "presentationml.presentation.main")}[kind]
    types = (
        '<?xml version="1.0"?><Types><Override PartName="/x" ContentType="application/'
        f'vnd.openxmlformats-officedocument.{main}+xml"/></Types>'
    ).encode()
    return zip_archive(
        {"[Content_Types].xml": types, "_rels/.rels": b"<Relationships/>" * 40,
         f"{folder}/document.xml": b"<document/>"},
        streamed=streamed,
    )


class _Unseekable(io.RawIOBase):
    def __init__(self, sink: io.BytesIO) -> None:
        self.sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return self.sink.write(data)


def box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4(
    size: tuple[int, int] | None = (1280, 720),
    *,
    seconds: float = 10.0,
    frames: int = 300,
    rotated: bool = False,
    version: int = 0,
    moov_last: bool = False,
) -> bytes:
    """An MP4's structure, written box by box: what the probe reads, and an mdat of zeros.
    ``size=None`` makes an audio-only file (M4A)."""
    scale = 1000

    def header(kind: bytes) -> bytes:  # mvhd and mdhd share their first fields
        if version == 1:
            fields = struct.pack(">B3xQQIQ", 1, 0, 0, scale, int(seconds * scale))
        else:
            fields = struct.pack(">B3xIIII", 0, 0, 0, scale, int(seconds * scale))
        return box(kind, fields, b"\x00" * 80)

    def track(handler: bytes, width: int, height: int) -> bytes:
        a, b, c, d = (0, 0x10000, -0x10000, 0) if rotated else (0x10000, 0, 0, 0x10000)
        matrix = struct.pack(">9i", a, b, 0, c, d, 0, 0, 0, 0x40000000)
        tkhd = box(b"tkhd", b"\x00" * 40, matrix, struct.pack(">II", width << 16, height << 16))
        hdlr = box(b"hdlr", b"\x00" * 8, handler, b"\x00" * 12)
        stsz = box(b"stsz", struct.pack(">III", 0, 0, frames))
        minf = box(b"minf", box(b"stbl", stsz))
        return box(b"trak", tkhd, box(b"mdia", header(b"mdhd"), hdlr, minf))

    tracks = [track(b"soun", 0, 0)]
    if size is not None:
        tracks.insert(0, track(b"vide", *size))
    brand = b"isom" if size else b"M4A "
    moov = box(b"moov", header(b"mvhd"), *tracks)
    mdat = box(b"mdat", b"\x00" * 256)
    ftyp = box(b"ftyp", brand, b"\x00\x00\x02\x00", brand, b"mp41")
    return ftyp + (mdat + moov if moov_last else moov + mdat)


def stuck_decoder(data: bytes, limits: object) -> None:
    """A decode that never ends in time (a pathological file), run in the worker's pool."""
    import time

    time.sleep(120)
