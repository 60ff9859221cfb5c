import { describe, expect, it } from "vitest";
import {
  bf16ArrayToFloat32,
  bf16ToFloat,
  float32ToBf16Array,
  float32ToHalfArray,
  floatToBf16,
  floatToHalf,
  halfArrayToFloat32,
  halfToFloat,
} from "../../../shared/tensor/float16.ts";

// Bit-level views for building exact float32 inputs (ties, neighbours) from their encodings.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function floatFromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}
function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0]!;
}
/** The next float32 above / below a positive float32. */
const nextUp = (x: number) => floatFromBits(bitsOf(x) + 1);
const nextDown = (x: number) => floatFromBits(bitsOf(x) - 1);

const isHalfNaN = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isBf16NaN = (b: number) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
const ALL_16_BIT = Array.from({ length: 65536 }, (_, i) => i);

describe("float16 (IEEE binary16)", () => {
  it("decodes the format's landmarks: one, largest finite, smallest normal and subnormal, zeros, infinities", () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0400)).toBe(2 ** -14);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(Object.is(halfToFloat(0x0000), 0)).toBe(true);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it("every non-NaN bit pattern survives half -> float -> half exactly, and NaNs stay NaN", () => {
    for (const h of ALL_16_BIT) {
      const back = floatToHalf(halfToFloat(h));
      if (isHalfNaN(h)) expect(isHalfNaN(back)).toBe(true);
      else if (back !== h) expect.fail(`0x${h.toString(16)} came back as 0x${back.toString(16)}`);
    }
  });

  it("finite halves increase strictly with their bit pattern", () => {
    for (let h = 0; h < 0x7c00; h++) {
      if (!(halfToFloat(h + 1) > halfToFloat(h))) expect.fail(`0x${(h + 1).toString(16)} is not above 0x${h.toString(16)}`);
    }
  });

  it("rounds to nearest, ties to even, between every pair of neighbouring halves (subnormal, normal, overflow)", () => {
    // h -> h+1 for every positive finite half, including 0x7bff -> 0x7c00 (65504 -> the overflow threshold 65536).
    for (let h = 0; h < 0x7c00; h++) {
      const lo = halfToFloat(h);
      const hi = h + 1 === 0x7c00 ? 65536 : halfToFloat(h + 1);
      const mid = (lo + hi) / 2; // exact in float32: one bit more than a half's precision
      const even = h % 2 === 0 ? h : h + 1;
      const got = [floatToHalf(mid), floatToHalf(nextDown(mid)), floatToHalf(nextUp(mid))];
      if (got[0] !== even || got[1] !== h || got[2] !== h + 1) {
        expect.fail(`around 0x${h.toString(16)}: mid/below/above gave ${got.map((g) => g.toString(16))}`);
      }
      if (floatToHalf(-mid) !== (even | 0x8000)) expect.fail(`negative tie around 0x${h.toString(16)}`);
    }
  });

  it("underflows to a signed zero below half the smallest subnormal, and rounds up just above it", () => {
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // tie with 0 (even)
    expect(floatToHalf(nextUp(2 ** -25))).toBe(0x0001);
    expect(floatToHalf(2 ** -30)).toBe(0x0000);
    expect(floatToHalf(-(2 ** -30))).toBe(0x8000);
    expect(floatToHalf(floatFromBits(0x00000001))).toBe(0x0000); // float32 subnormal
    expect(floatToHalf(-0)).toBe(0x8000);
  });

  it("maps infinities and overflow to infinity, and NaN to a NaN", () => {
    expect(floatToHalf(Infinity)).toBe(0x7c00);
    expect(floatToHalf(-Infinity)).toBe(0xfc00);
    expect(floatToHalf(1e6)).toBe(0x7c00);
    expect(floatToHalf(-1e6)).toBe(0xfc00);
    expect(isHalfNaN(floatToHalf(NaN))).toBe(true);
    expect(isHalfNaN(floatToHalf(floatFromBits(0x7f800001)))).toBe(true); // a NaN with only the lowest bit set
  });

  it("array conversions agree with the scalar ones", () => {
    const halves = Uint16Array.from(ALL_16_BIT);
    const floats = halfArrayToFloat32(halves);
    for (const h of ALL_16_BIT) {
      if (!Object.is(floats[h], Math.fround(halfToFloat(h)))) expect.fail(`halfArrayToFloat32 differs at 0x${h.toString(16)}`);
    }
    const samples = Float32Array.from([0, -0, 1 / 3, -7.25, 1e-6, 65519, 65520, 1e9, NaN, Infinity, -Infinity, 2 ** -25]);
    expect([...float32ToHalfArray(samples)]).toEqual([...samples].map(floatToHalf));
  });
});

describe("bfloat16", () => {
  it("is the top half of a float32", () => {
    for (const x of [1, -2.5, 2 ** 127, -(2 ** -126), floatFromBits(0x7f7f0000), floatFromBits(0x00010000), Infinity, -Infinity]) {
      expect(bf16ToFloat(bitsOf(x) >>> 16)).toBe(x);
    }
  });

  it("every non-NaN bit pattern survives bf16 -> float -> bf16 exactly, and NaNs stay NaN", () => {
    for (const b of ALL_16_BIT) {
      const back = floatToBf16(bf16ToFloat(b));
      if (isBf16NaN(b)) expect(isBf16NaN(back)).toBe(true);
      else if (back !== b) expect.fail(`0x${b.toString(16)} came back as 0x${back.toString(16)}`);
    }
  });

  it("rounds to nearest, ties to even, for every finite bf16 of either sign (subnormals and overflow included)", () => {
    for (const b of ALL_16_BIT) {
      if ((b & 0x7f80) === 0x7f80) continue; // inf / NaN
      const base = b << 16;
      const even = b % 2 === 0 ? b : b + 1;
      // The next bf16 up in magnitude: incrementing the pattern, which past 0x7f7f is infinity.
      const got = [floatToBf16(floatFromBits(base | 0x8000)), floatToBf16(floatFromBits(base | 0x7fff)), floatToBf16(floatFromBits(base | 0x8001))];
      if (got[0] !== even || got[1] !== b || got[2] !== b + 1) {
        expect.fail(`around 0x${b.toString(16)}: tie/below/above gave ${got.map((g) => g.toString(16))}`);
      }
    }
  });

  it("keeps every NaN a NaN, even one whose payload would round away", () => {
    for (const bits of [0x7f800001, 0xff800001, 0x7fc00000, 0x7fffffff]) {
      expect(isBf16NaN(floatToBf16(floatFromBits(bits)))).toBe(true);
    }
    expect(floatToBf16(Infinity)).toBe(0x7f80);
    expect(floatToBf16(-Infinity)).toBe(0xff80);
  });

  it("array conversions agree with the scalar ones", () => {
    const floats = bf16ArrayToFloat32(Uint16Array.from(ALL_16_BIT));
    for (const b of ALL_16_BIT) {
      if (!Object.is(floats[b], bf16ToFloat(b))) expect.fail(`bf16ArrayToFloat32 differs at 0x${b.toString(16)}`);
    }
    const samples = Float32Array.from([0, -0, 1 / 3, -7.25, 1e-40, 3.4e38, NaN, Infinity, -Infinity]);
    expect([...float32ToBf16Array(samples)]).toEqual([...samples].map(floatToBf16));
  });
});
