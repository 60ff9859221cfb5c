/** An 8-bit RGB image, row-major HWC, that the raster primitives paint on. */
export type Rgb = readonly [number, number, number];

export interface Point {
  readonly x: number;
  readonly y: number;
}

export class RgbCanvas {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 3);
  }

  contains(x: number, y: number): boolean {
    return x >= 0 && x < this.width && y >= 0 && y < this.height;
  }

  /** Paint one pixel; callers have clipped already. */
  setPixel(x: number, y: number, color: Rgb): void {
    const i = (y * this.width + x) * 3;
    this.data[i] = color[0];
    this.data[i + 1] = color[1];
    this.data[i + 2] = color[2];
  }

  /** Paint row y from xl to xr inclusive (nothing when xl > xr); callers have clipped already. */
  fillSpan(y: number, xl: number, xr: number, color: Rgb): void {
    for (let x = xl; x <= xr; x++) this.setPixel(x, y, color);
  }
}
