"""How much a media upload may cost, in bytes on the wire and in memory once decoded.

Bytes bound the upload and the storage; pixels bound the decoder: a 40 KB PNG can declare
30000x30000 pixels (3.6 GB as RGBA), so the declared size is checked before any pixel is
decoded. An animation costs its frame size times its frames, hence the shared pixel budget and
a frame cap (an animation of 10,000 one-pixel frames is cheap in pixels and dear in per-frame
work). The defaults are Mastodon's where Mastodon has one (16 MB images, 99 MB videos)."""

from __future__ import annotations

import msgspec


class MediaLimits(msgspec.Struct, frozen=True):
    image_max_bytes: int = 16 * 1024 * 1024
    # Decoded pixels, width * height * frames: 32 Mpx is 128 MB as RGBA.
    image_max_pixels: int = 8192 * 8192 // 2
    video_max_bytes: int = 99 * 1024 * 1024
    file_max_bytes: int = 40 * 1024 * 1024
    preview_max_side: int = 640
    original_max_side: int = 4096  # larger originals are downscaled
    avatar_side: int = 400
    header_size: tuple[int, int] = (1500, 500)
    image_max_frames: int = 1000  # frames of an animated GIF, WebP or PNG
