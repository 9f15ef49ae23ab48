// BlurHash (blurha.sh) decoding: the few bytes the server sends with a picture become a small,
// blurred canvas shown while the picture loads. The algorithm is the public one (a DC colour
// and a grid of cosine components, base-83 encoded); a hash it cannot read gives no canvas.
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~';

function decode83(text, start, end) {
  let value = 0;
  for (let i = start; i < end; i += 1) {
    const digit = DIGITS.indexOf(text[i]);
    if (digit < 0) throw new Error('not a blurhash');
    value = value * 83 + digit;
  }
  return value;
}

function toLinear(value) {
  const v = value / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

function toSrgb(value) {
  const v = Math.max(0, Math.min(1, value));
  return v <= 0.0031308 ? Math.round(v * 12.92 * 255 + 0.5)
    : Math.round((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5);
}

const signPow = (value, exp) => Math.sign(value) * Math.abs(value) ** exp;

/** RGBA pixels (width × height) of a hash, or null when it is not one. */
export function decodeBlurhash(hash, width, height, punch = 1) {
  if (typeof hash !== 'string' || hash.length < 6) return null;
  try {
    const sizeFlag = decode83(hash, 0, 1);
    const numY = Math.floor(sizeFlag / 9) + 1;
    const numX = (sizeFlag % 9) + 1;
    if (hash.length !== 4 + 2 * numX * numY) return null;
    const maximum = (decode83(hash, 1, 2) + 1) / 166;
    const colors = new Array(numX * numY);
    const dc = decode83(hash, 2, 6);
    colors[0] = [toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)];
    for (let i = 1; i < colors.length; i += 1) {
      const ac = decode83(hash, 4 + i * 2, 6 + i * 2);
      colors[i] = [Math.floor(ac / 361), Math.floor(ac / 19) % 19, ac % 19]
        .map((q) => signPow((q - 9) / 9, 2) * maximum * punch);
    }
    const pixels = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let j = 0; j < numY; j += 1) {
          const basisY = Math.cos((Math.PI * y * j) / height);
          for (let i = 0; i < numX; i += 1) {
            const basis = Math.cos((Math.PI * x * i) / width) * basisY;
            const color = colors[i + j * numX];
            r += color[0] * basis;
            g += color[1] * basis;
            b += color[2] * basis;
          }
        }
        const at = 4 * (x + y * width);
        pixels[at] = toSrgb(r);
        pixels[at + 1] = toSrgb(g);
        pixels[at + 2] = toSrgb(b);
        pixels[at + 3] = 255;
      }
    }
    return pixels;
  } catch {
    return null;
  }
}

/** A 32×32 canvas painted with the hash (CSS stretches it), or null without a valid hash. */
export function blurhashCanvas(hash, size = 32) {
  const pixels = decodeBlurhash(hash, size, size);
  if (!pixels) return null;
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  canvas.className = 'blurhash';
  canvas.setAttribute('aria-hidden', 'true');
  canvas.getContext('2d').putImageData(new ImageData(pixels, size, size), 0, 0);
  return canvas;
}
