import { describe, expect, it } from "vitest";
import { randomBytes, randomUint32 } from "../../../functions/crypto/random-pool.ts";
import { randomId } from "../../../functions/crypto/random-id.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("pooled CSPRNG bytes", () => {
  it("hands out each byte once: no two draws repeat, across pool refills too", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(hex(randomBytes(16))); // 32 KiB: several refills
    expect(seen.size).toBe(2000);
  });

  it("never changes bytes it already handed out when it refills", () => {
    const first = randomBytes(16);
    const copy = Uint8Array.from(first);
    for (let i = 0; i < 600; i++) randomBytes(16);
    expect(first).toEqual(copy);
  });

  it("serves any length, large ones straight from the CSPRNG, and refuses a bad one", () => {
    expect(randomBytes(0)).toHaveLength(0);
    expect(randomBytes(3)).toHaveLength(3);
    const big = randomBytes(10_000);
    expect(big).toHaveLength(10_000);
    expect(new Set(big).size).toBeGreaterThan(200);
    expect(() => randomBytes(-1)).toThrow(RangeError);
    expect(() => randomBytes(1.5)).toThrow(RangeError);
  });

  it("draws uint32 seeds over the whole range", () => {
    const seeds = Array.from({ length: 2000 }, randomUint32);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
    expect(new Set(seeds).size).toBeGreaterThan(1990);
    expect(seeds.some((s) => s >= 2 ** 31)).toBe(true);
    expect(seeds.some((s) => s < 2 ** 31)).toBe(true);
  });

  it("makes ids of a prefix and 128 bits in base32", () => {
    const ids = Array.from({ length: 500 }, () => randomId("gen"));
    for (const id of ids) expect(id).toMatch(/^gen_[a-z2-7]{26}$/);
    expect(new Set(ids).size).toBe(500);
  });
});
