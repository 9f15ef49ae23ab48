"""Photos for the media benchmark: JPEGs that cost what a phone's photos cost to upload and to
process, made in code (no data set to fetch).

A flat or smooth picture compresses to almost nothing and decodes in no time, so each photo is a
smooth scene (rotated gradients and blurred shapes, drawn small and scaled up) plus sensor-like
noise at full resolution: 4000x3000 at quality 92 comes out at 3-4 MB, as a 12-megapixel phone
photo does. Each carries the EXIF a phone writes (make, model, time, orientation, a GPS
position), which processing must strip. The noise is drawn once per set (Pillow's
``effect_noise`` is most of the cost) and shifted for each photo, so every photo of a set is
different bytes.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
# Where the photos say they were taken: an uploader would not want this published.
GPS = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}


@dataclass(frozen=True)
class Photo:
    name: str
    data: bytes
    width: int
    height: int


def exif_of(n: int) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "BenchPhone"  # Make
    exif[0x0110] = "Model 12"  # Model
    exif[0x0112] = 1  # Orientation: as stored
    exif[0x0132] = f"2024:05:{1 + n % 28:02d} 12:{n % 60:02d}:00"  # DateTime
    exif.get_ifd(GPS_IFD).update(GPS)
    exif.get_ifd(EXIF_IFD).update({0x9003: "2024:05:01 12:00:00", 0x829D: (18, 10)})
    return exif.tobytes()


def scene(width: int, height: int, rng: random.Random) -> Image.Image:
    """Smooth content: gradients at random angles per channel and a few dozen soft shapes,
    drawn at an eighth of the size and scaled up (drawing at full size took seconds)."""
    small = (max(8, width // 8), max(8, height // 8))
    channels = [Image.linear_gradient("L").rotate(rng.uniform(0, 360),
                                                  resample=Image.Resampling.BILINEAR)
                .resize(small, Image.Resampling.BILINEAR) for _ in range(3)]
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(small[0]), rng.randrange(small[1])
        r = rng.randrange(max(1, small[0] // 40), max(2, small[0] // 6))
        draw.ellipse((x - r, y - r, x + r, y + r),
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    return image.filter(ImageFilter.GaussianBlur(1)).resize((width, height),
                                                             Image.Resampling.BICUBIC)


def photo_set(count: int, width: int = 4000, height: int = 3000, *, quality: int = 92,
              noise: float = 8.0, seed: int = 3) -> list[Photo]:
    """``count`` distinct JPEGs of width x height with a phone's EXIF (GPS included)."""
    rng = random.Random(seed)
    grain = Image.merge("RGB", [Image.effect_noise((width, height), noise) for _ in range(3)])
    photos = []
    for n in range(count):
        shifted = ImageChops.offset(grain, rng.randrange(width), rng.randrange(height))
        image = ImageChops.add(scene(width, height, rng), shifted, offset=-128)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, exif=exif_of(n))
        photos.append(Photo(f"IMG_{1000 + n}.jpg", out.getvalue(), width, height))
    return photos


def has_location(data: bytes) -> bool:
    """Whether a picture still says where it was taken (or which phone took it)."""
    exif = Image.open(io.BytesIO(data)).getexif()
    return bool(exif.get_ifd(GPS_IFD)) or 0x010F in exif or b"BenchPhone" in data
