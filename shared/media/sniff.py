"""What a file is, from its first bytes: never from its name or the client's Content-Type.

A browser decides how to treat a response from its Content-Type, so the type Hubbub stores is
the one the content proves. Only the image formats that processing decodes and re-encodes get
an image type; SVG, HTML, XML and scripts are active content whatever they are called (an SVG
named cat.png runs its script when shown inline) and are labelled
``application/octet-stream``, as are executables: they are served as downloads, never inline.
Plain text stays ``text/plain`` (served with ``nosniff``, a browser shows it and runs nothing).

The head is the first 4 KiB or so (``SNIFF_BYTES``); every check reads within it and tolerates
it being cut anywhere.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Literal

import msgspec

MediaKind = Literal["image", "gifv", "video", "audio", "unknown"]

SNIFF_BYTES = 4096


class Sniffed(msgspec.Struct, frozen=True):
    kind: MediaKind
    content_type: str  # from the content (magic bytes), never from the file name
    extension: str  # "jpg", "png", ..., "bin" when unknown


OCTET_STREAM = Sniffed("unknown", "application/octet-stream", "bin")

_MAGIC: tuple[tuple[bytes, Sniffed], ...] = (
    (b"\xff\xd8\xff", Sniffed("image", "image/jpeg", "jpg")),
    (b"\x89PNG\r\n\x1a\n", Sniffed("image", "image/png", "png")),
    (b"GIF87a", Sniffed("image", "image/gif", "gif")),
    (b"GIF89a", Sniffed("image", "image/gif", "gif")),
    (b"%PDF-", Sniffed("unknown", "application/pdf", "pdf")),
    (b"fLaC", Sniffed("audio", "audio/flac", "flac")),
    (b"ID3", Sniffed("audio", "audio/mpeg", "mp3")),
    # Executables (PE, ELF, Mach-O, Java class / fat Mach-O) and scripts: downloads only.
    (b"MZ", OCTET_STREAM),
    (b"\x7fELF", OCTET_STREAM),
    (b"\xfe\xed\xfa\xce", OCTET_STREAM),
    (b"\xfe\xed\xfa\xcf", OCTET_STREAM),
    (b"\xce\xfa\xed\xfe", OCTET_STREAM),
    (b"\xcf\xfa\xed\xfe", OCTET_STREAM),
    (b"\xca\xfe\xba\xbe", OCTET_STREAM),
    (b"#!", OCTET_STREAM),
)

# ISO base media (ftyp) brands. HEIF's generic brands come after AVIF's: an AVIF lists mif1 too.
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"F4A "}

_OOXML = (
    (
        b"word/",
        b"wordprocessingml",
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        b"xl/",
        b"spreadsheetml",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        b"ppt/",
        b"presentationml",
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
)
_ODF_EXTENSIONS = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/epub+zip": "epub",
}

# Markup and script that a browser would render or run if it ever saw it as such.
_ACTIVE_TEXT = re.compile(
    rb"<\s*(svg|html|script|body|iframe|\?xml|!doctype|head|object|embed)\b"
    rb"|\b(function\s*\(|document\.|window\.|eval\s*\()|=>",
    re.IGNORECASE,
)


def sniff(head: bytes) -> Sniffed:
    """The type of a file from its first bytes (``SNIFF_BYTES`` are enough)."""
    head = head[:SNIFF_BYTES]
    for magic, sniffed in _MAGIC:
        if head.startswith(magic):
            return sniffed
    for check in (_riff, _iso_media, _ebml, _ogg, _zip, _mpeg_audio, _text):
        found = check(head)
        if found is not None:
            return found
    return OCTET_STREAM


def _riff(head: bytes) -> Sniffed | None:
    if not head.startswith(b"RIFF") or len(head) < 12:
        return None
    form = head[8:12]
    if form == b"WEBP":
        return Sniffed("image", "image/webp", "webp")
    if form == b"WAVE":
        return Sniffed("audio", "audio/wav", "wav")
    if form == b"AVI ":
        return Sniffed("video", "video/x-msvideo", "avi")
    return None


def _iso_media(head: bytes) -> Sniffed | None:
    """MP4, MOV, M4A, AVIF and HEIC all begin with an ``ftyp`` box naming their brands."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    size = struct.unpack(">I", head[:4])[0]
    end = min(max(size, 16), len(head))
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, end - 3, 4)}
    if brands & _AVIF_BRANDS:
        return Sniffed("image", "image/avif", "avif")
    if brands & _HEIC_BRANDS:
        return Sniffed("image", "image/heic", "heic")
    if major in _AUDIO_BRANDS:
        return Sniffed("audio", "audio/mp4", "m4a")
    if major == b"qt  ":
        return Sniffed("video", "video/quicktime", "mov")
    if major.startswith(b"3g"):
        return Sniffed("video", "video/3gpp", "3gp")
    return Sniffed("video", "video/mp4", "mp4")


def _ebml(head: bytes) -> Sniffed | None:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    if b"webm" in head[:64]:
        return Sniffed("video", "video/webm", "webm")
    return Sniffed("video", "video/x-matroska", "mkv")


def _ogg(head: bytes) -> Sniffed | None:
    if not head.startswith(b"OggS"):
        return None
    if b"\x80theora" in head:
        return Sniffed("video", "video/ogg", "ogv")
    return Sniffed("audio", "audio/ogg", "ogg")


def _mpeg_audio(head: bytes) -> Sniffed | None:
    """An MP3 without an ID3 tag starts with a frame header: 11 sync bits, then valid fields."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    if head[1] & 0xF6 == 0xF0:  # ADTS: 12 sync bits and layer 0, AAC
        return Sniffed("audio", "audio/aac", "aac")
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    # Layer III only: layers I and II are rare, and a UTF-16 BOM (FF FE) reads as layer I.
    if version == 1 or layer != 1 or bitrate == 15 or rate == 3:
        return None
    return Sniffed("audio", "audio/mpeg", "mp3")


def _zip(head: bytes) -> Sniffed | None:
    """Office documents are ZIP packages: told apart by the names of their first entries, by
    their ``[Content_Types].xml`` (OOXML) or their ``mimetype`` entry (ODF, EPUB)."""
    if not head.startswith(b"PK\x03\x04"):
        return None
    entries = list(_zip_entries(head))
    for name, content in entries:
        if name == b"mimetype":
            mime = content.strip().decode("ascii", "replace")
            if mime in _ODF_EXTENSIONS:
                return Sniffed("unknown", mime, _ODF_EXTENSIONS[mime])
    for folder, marker, extension, mime in _OOXML:
        for name, content in entries:
            if name.startswith(folder) or (name == b"[Content_Types].xml" and marker in content):
                return Sniffed("unknown", mime, extension)
    return Sniffed("unknown", "application/zip", "zip")


def _zip_entries(head: bytes) -> list[tuple[bytes, bytes]]:
    """(name, first bytes of content) of each local file header that starts within the head.

    Headers are found by their signature rather than by walking sizes: writers that stream
    (Java's, LibreOffice's) put the sizes after the data, where the head cannot see them."""
    entries = []
    for found in re.finditer(b"PK\x03\x04", head):
        offset = found.start()
        if len(head) < offset + 30:
            break
        method, _, _, _, compressed, _, name_len, extra_len = struct.unpack(
            "<HHHIIIHH", head[offset + 8 : offset + 30]
        )
        start = offset + 30 + name_len + extra_len
        name = head[offset + 30 : offset + 30 + name_len]
        raw = head[start : start + compressed] if compressed else head[start:]
        entries.append((name, _entry_content(raw, method)))
    return entries


def _entry_content(raw: bytes, method: int) -> bytes:
    if method == 0:
        return raw[:1024]
    if method == 8:  # raw deflate, possibly cut by the head's end; it stops at its own end
        try:
            return zlib.decompressobj(-15).decompress(raw, 4096)
        except zlib.error:
            return b""
    return b""


def _text(head: bytes) -> Sniffed | None:
    if not head or b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the head is still text.
        if exc.start < len(head) - 3:
            return None
        text = head[: exc.start].decode("utf-8")
    if sum(1 for c in text if not c.isprintable() and c not in "\t\r\n\f") > len(text) // 100:
        return None
    if _ACTIVE_TEXT.search(head):
        return OCTET_STREAM
    return Sniffed("unknown", "text/plain", "txt")
