/** An 8-bit interleaved image of any channel count: what the resize/warp/colour helpers work on. */
import type { DecodedImage } from "../face/face-analyser.ts";

export interface Raster {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

export function rasterOf(image: DecodedImage): Raster {
  return { data: image.rgb, width: image.width, height: image.height, channels: 3 };
}

export function decodedOf(raster: Raster): DecodedImage {
  if (raster.channels !== 3) throw new RangeError(`decodedOf: expected 3 channels, got ${raster.channels}`);
  return { rgb: raster.data, width: raster.width, height: raster.height };
}

/** The pixels of [x, y, x+width) x [y, y+height); the rectangle must lie inside the image. */
export function cropRaster(src: Raster, x: number, y: number, width: number, height: number): Raster {
  if (!(x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= src.width && y + height <= src.height)) {
    throw new RangeError(`cropRaster: [${x}, ${y}, ${width}x${height}] is not inside ${src.width}x${src.height}`);
  }
  const c = src.channels;
  const out = new Uint8Array(width * height * c);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * src.width + x) * c;
    out.set(src.data.subarray(from, from + width * c), row * width * c);
  }
  return { data: out, width, height, channels: c };
}

/** RGB -> luma with OpenCV's fixed-point BT.601 weights (cv2.cvtColor RGB2GRAY). */
export function rgbToGray(src: Raster): Raster {
  if (src.channels !== 3) throw new RangeError(`rgbToGray: expected 3 channels, got ${src.channels}`);
  const n = src.width * src.height;
  const out = new Uint8Array(n);
  const d = src.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = (d[j]! * 4899 + d[j + 1]! * 9617 + d[j + 2]! * 1868 + 8192) >> 14;
  return { data: out, width: src.width, height: src.height, channels: 1 };
}
