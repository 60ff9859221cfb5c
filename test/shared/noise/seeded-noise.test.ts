import { describe, expect, it } from "vitest";
import { philox4x32, replayedNoise, seededNoise } from "../../../shared/noise/seeded-noise.ts";
import { NoiseError } from "../../../shared/noise/noise-error.ts";

const hex = (words: number[]) => words.map((w) => w.toString(16).padStart(8, "0")).join(" ");

describe("philox4x32", () => {
  // Random123's published known-answer vectors (tests/kat_vectors, "philox4x32 10" lines): counter, key -> output.
  it.each([
    [[0, 0, 0, 0], [0, 0], "6627e8d5 e169c58d bc57ac4c 9b00dbd8"],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], "408f276d 41c83b0e a20bc7c6 6d5451fd"],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], "d16cfe09 94fdcceb 5001e420 24126ea1"],
  ] as const)("matches the Random123 known answer for counter %j", (counter, key, expected) => {
    expect(hex(philox4x32(counter, key))).toBe(expected);
  });
});

describe("seededNoise", () => {
  it("gives the same draws for the same seed", () => {
    expect(seededNoise(1234).randn(1000)).toEqual(seededNoise(1234).randn(1000));
  });

  it("gives different draws for different seeds, including seeds beyond 32 bits", () => {
    const a = seededNoise(1).randn(16);
    expect(seededNoise(2).randn(16)).not.toEqual(a);
    expect(seededNoise(1 + 2 ** 32).randn(16)).not.toEqual(a);
  });

  it("continues one stream however the draws are split", () => {
    const whole = seededNoise(99).randn(11);
    const split = seededNoise(99);
    const parts = [split.randn(3), split.randn(0), split.randn(5), split.randn(3)];
    expect(Float32Array.from(parts.flatMap((p) => [...p]))).toEqual(whole);
  });

  it("draws standard normal values", () => {
    const x = seededNoise(5).randn(200_000);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    const within1 = x.filter((v) => Math.abs(v) < 1).length / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    expect(Math.abs(within1 - 0.6827)).toBeLessThan(0.005);
    expect(x.every(Number.isFinite)).toBe(true);
  });

  it("refuses a seed that is not a non-negative safe integer", () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => seededNoise(bad)).toThrow(NoiseError);
      expect(() => seededNoise(bad)).toThrow(expect.objectContaining({ code: "invalid_seed" }));
    }
  });
});

describe("replayedNoise", () => {
  it("returns the recorded draws in order, as copies", () => {
    const recorded = [Float32Array.of(1, 2), Float32Array.of(3, 4, 5)];
    const source = replayedNoise(recorded);
    const first = source.randn(2);
    first[0] = 42;
    expect(source.randn(3)).toEqual(recorded[1]);
    expect(recorded[0]![0]).toBe(1);
  });

  it("refuses a request of another size, and one past the recording", () => {
    const source = replayedNoise([Float32Array.of(1, 2)]);
    expect(() => source.randn(3)).toThrow(expect.objectContaining({ code: "shape_mismatch" }));
    source.randn(2);
    expect(() => source.randn(2)).toThrow(expect.objectContaining({ code: "noise_exhausted" }));
  });
});
