import { describe, expect, it } from "vitest";
import { float32, maxAbsDiff, numel, sameShape, zeros } from "../../../shared/tensor/tensor.ts";

describe("tensor", () => {
  it("numel multiplies the dimensions; a scalar has one element, a zero dimension none", () => {
    expect(numel([2, 3, 4])).toBe(24);
    expect(numel([])).toBe(1);
    expect(numel([5, 0, 3])).toBe(0);
  });

  it("float32 wraps values in their shape and refuses values that do not fill it", () => {
    const t = float32([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(t.dtype).toBe("float32");
    expect(t.shape).toEqual([2, 3]);
    expect([...t.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => float32([1, 2, 3], [2, 2])).toThrow(RangeError);
  });

  it("float32 copies the shape, so changing the caller's array later does not reshape the tensor", () => {
    const shape = [2, 2];
    const t = float32(new Float32Array(4), shape);
    shape[0] = 9;
    expect(t.shape).toEqual([2, 2]);
  });

  it("zeros is all zeros of the shape", () => {
    const t = zeros([3, 2]);
    expect(t.shape).toEqual([3, 2]);
    expect(t.data.length).toBe(6);
    expect(t.data.every((v) => v === 0)).toBe(true);
  });

  it("maxAbsDiff is the largest elementwise gap, and a NaN anywhere makes it infinite", () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff([0, 0], [0, 0])).toBe(0);
    expect(maxAbsDiff([NaN, 0], [0, 0])).toBe(Infinity);
    expect(maxAbsDiff([0, 5], [0, NaN])).toBe(Infinity);
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(RangeError);
  });

  it("sameShape compares rank and every dimension", () => {
    expect(sameShape([2, 3], [2, 3])).toBe(true);
    expect(sameShape([2, 3], [3, 2])).toBe(false);
    expect(sameShape([2, 3], [2, 3, 1])).toBe(false);
    expect(sameShape([], [])).toBe(true);
  });
});
