/**
 * From the VAE decoder's output (one image, [3, H, W], about [-1, 1]) to what diffusers' image
 * processor makes of it: clamp(x / 2 + 0.5, 0, 1) as HWC floats, then bytes by round(x * 255).
 */
export function decodedToUnitHwc(chw: Float32Array, width: number, height: number): Float32Array {
  const plane = width * height;
  if (chw.length !== plane * 3) throw new RangeError(`decoded image has ${chw.length} values, expected ${plane * 3} for ${width}x${height}x3`);
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) {
      const v = Math.fround(Math.fround(chw[c * plane + p]! / 2) + 0.5);
      out[p * 3 + c] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return out;
}

/** numpy's (x * 255).round().astype(uint8): halves go to the even neighbour. */
export function unitToBytes(unit: Float32Array): Uint8Array {
  const out = new Uint8Array(unit.length);
  for (let i = 0; i < unit.length; i++) out[i] = roundHalfEven(Math.fround(unit[i]! * 255));
  return out;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
