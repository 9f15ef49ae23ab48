"""The type of a file comes from its content: one table, one row per format and per disguise."""

from __future__ import annotations

import pytest
from PIL import Image

from shared.media.sniff import SNIFF_BYTES, Sniffed, sniff
from tests.posts.media import craft

OCTET = ("unknown", "application/octet-stream", "bin")


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00\x00\x00\x08free"


def odf(mime: str) -> bytes:
    return craft.zip_archive({"mimetype": mime.encode(), "content.xml": b"<office/>"})


CASES: list[tuple[str, bytes, tuple[str, str, str]]] = [
    ("jpeg", craft.encoded(craft.picture(), "JPEG"), ("image", "image/jpeg", "jpg")),
    ("png", craft.encoded(craft.picture(), "PNG"), ("image", "image/png", "png")),
    ("gif", craft.encoded(craft.picture(), "GIF"), ("image", "image/gif", "gif")),
    ("gif87a", b"GIF87a" + craft.gif(1)[6:], ("image", "image/gif", "gif")),
    ("webp", craft.encoded(craft.picture(), "WEBP"), ("image", "image/webp", "webp")),
    ("avif", craft.encoded(craft.picture(), "AVIF"), ("image", "image/avif", "avif")),
    ("heic brand", ftyp(b"heic", b"mif1", b"heic"), ("image", "image/heic", "heic")),
    ("heif generic", ftyp(b"mif1", b"mif1", b"miaf"), ("image", "image/heic", "heic")),
    ("avif with mif1", ftyp(b"mif1", b"mif1", b"avif"), ("image", "image/avif", "avif")),
    ("mp4", ftyp(b"isom", b"isom", b"avc1", b"mp41"), ("video", "video/mp4", "mp4")),
    ("mov", ftyp(b"qt  ", b"qt  "), ("video", "video/quicktime", "mov")),
    ("3gp", ftyp(b"3gp5", b"3gp5"), ("video", "video/3gpp", "3gp")),
    ("m4a", ftyp(b"M4A ", b"M4A ", b"mp42"), ("audio", "audio/mp4", "m4a")),
    ("webm", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", ("video", "video/webm",
                                                                      "webm")),
    ("mkv", b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska", ("video", "video/x-matroska", "mkv")),
    ("avi", b"RIFF\x00\x00\x00\x00AVI LIST", ("video", "video/x-msvideo", "avi")),
    ("ogg vorbis", b"OggS\x00\x02" + b"\x00" * 22 + b"\x01vorbis", ("audio", "audio/ogg", "ogg")),
    ("ogg theora", b"OggS\x00\x02" + b"\x00" * 22 + b"\x80theora", ("video", "video/ogg", "ogv")),
    ("wav", b"RIFF\x24\x00\x00\x00WAVEfmt ", ("audio", "audio/wav", "wav")),
    ("flac", b"fLaC\x00\x00\x00\x22", ("audio", "audio/flac", "flac")),
    ("mp3 with id3", b"ID3\x04\x00\x00\x00\x00\x00\x00", ("audio", "audio/mpeg", "mp3")),
    ("mp3 frame", b"\xff\xfb\x90\x64" + b"\x00" * 64, ("audio", "audio/mpeg", "mp3")),
    ("aac adts", b"\xff\xf1\x50\x80\x02\x1f\xfc", ("audio", "audio/aac", "aac")),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", ("unknown", "application/pdf", "pdf")),
    ("docx", craft.office("docx"), ("unknown", "application/vnd.openxmlformats-officedocument."
                                    "wordprocessingml.document", "docx")),
    ("xlsx", craft.office("xlsx"), ("unknown", "application/vnd.openxmlformats-officedocument."
                                    "spreadsheetml.sheet", "xlsx")),
    ("pptx", craft.office("pptx"), ("unknown", "application/vnd.openxmlformats-officedocument."
                                    "presentationml.presentation", "pptx")),
    ("docx streamed", craft.office("docx", streamed=True), (
        "unknown", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx")),
    ("odt", odf("application/vnd.oasis.opendocument.text"),
     ("unknown", "application/vnd.oasis.opendocument.text", "odt")),
    ("epub", odf("application/epub+zip"), ("unknown", "application/epub+zip", "epub")),
    ("zip", craft.zip_archive({"a.txt": b"hello"}), ("unknown", "application/zip", "zip")),
    ("text", b"Minutes of the meeting\n\n- budget approved\n", ("unknown", "text/plain", "txt")),
    ("utf-8 text", "Café über naïve — ok\n".encode(), ("unknown", "text/plain", "txt")),
    ("text cut inside a character", ("a" * (SNIFF_BYTES - 1) + "é").encode(),
     ("unknown", "text/plain", "txt")),
    # Active content and executables: never an image type, never inline.
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', OCTET),
    ("svg with xml prolog", b'<?xml version="1.0"?>\n<svg onload="alert(1)"/>', OCTET),
    ("svg after a bom and space", b"\xef\xbb\xbf  \n<svg/>", OCTET),
    ("html", b"<!DOCTYPE html><html><body>hi</body></html>", OCTET),
    ("html fragment", b"hello <script>alert(1)</script>", OCTET),
    ("javascript", b"(function () { document.cookie = 'x'; })();", OCTET),
    ("arrow javascript", b"const f = () => fetch('/api/v1/accounts');", OCTET),
    ("shell script", b"#!/bin/sh\nrm -rf /\n", OCTET),
    ("windows executable", b"MZ\x90\x00\x03\x00\x00\x00", OCTET),
    ("elf", b"\x7fELF\x02\x01\x01\x00", OCTET),
    ("mach-o", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", OCTET),
    ("binary noise", bytes(range(256)) * 4, OCTET),
    ("empty", b"", OCTET),
    ("utf-16 text", "hello".encode("utf-16"), OCTET),
    ("riff of something else", b"RIFF\x00\x00\x00\x00CDXA", OCTET),
    ("mpeg sync with a reserved version", b"\xff\xea\x90\x64", OCTET),
]


@pytest.mark.parametrize(("data", "expected"), [(d, e) for _, d, e in CASES],
                         ids=[name for name, _, _ in CASES])
def test_sniff(data: bytes, expected: tuple[str, str, str]) -> None:
    assert sniff(data) == Sniffed(*expected)  # type: ignore[arg-type]


def test_only_the_head_is_read() -> None:
    svg_after_head = b"x" * SNIFF_BYTES + b"<svg/>"
    assert sniff(svg_after_head).content_type == "text/plain"


@pytest.mark.parametrize("cut", [1, 3, 7, 11, 15, 31, 40, 100])
def test_a_head_cut_anywhere_is_still_sniffed(cut: int) -> None:
    for _, data, _ in CASES:
        assert isinstance(sniff(data[:cut]), Sniffed)


def test_an_image_type_only_for_what_processing_decodes() -> None:
    bmp = craft.encoded(Image.new("RGB", (4, 4)), "BMP")
    tiff = craft.encoded(Image.new("RGB", (4, 4)), "TIFF")
    assert sniff(bmp).kind == sniff(tiff).kind == "unknown"
    assert not sniff(bmp).content_type.startswith("image/")
