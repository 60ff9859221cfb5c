import { describe, expect, it } from "vitest";
import { LruCache } from "../../../shared/cache/lru-cache.ts";

describe("LruCache", () => {
  it("forgets the least recently used entry beyond its capacity", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1);
    c.set("b", 2);
    expect(c.get("a")).toBe(1);
    c.set("c", 3);
    expect([c.get("a"), c.get("b"), c.get("c")]).toEqual([1, undefined, 3]);
    expect(c.size).toBe(2);
  });

  it("computes a missing value once for concurrent callers, and not at all once cached", async () => {
    const c = new LruCache<string, number>(4);
    let calls = 0;
    const compute = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return 42;
    };
    expect(await Promise.all([c.getOrCompute("k", compute), c.getOrCompute("k", compute)])).toEqual([42, 42]);
    expect(await c.getOrCompute("k", compute)).toBe(42);
    expect(calls).toBe(1);
  });

  it("does not cache a failed computation", async () => {
    const c = new LruCache<string, number>(4);
    await expect(c.getOrCompute("k", () => Promise.reject(new Error("no")))).rejects.toThrow("no");
    expect(await c.getOrCompute("k", async () => 1)).toBe(1);
  });

  it("holds nothing at capacity 0 and refuses a negative capacity", () => {
    const c = new LruCache<string, number>(0);
    c.set("a", 1);
    expect(c.get("a")).toBeUndefined();
    expect(() => new LruCache(-1)).toThrow(RangeError);
    expect(() => new LruCache(1.5)).toThrow(RangeError);
  });

  it("forgets a deleted entry", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1);
    expect(c.delete("a")).toBe(true);
    expect(c.get("a")).toBeUndefined();
    expect(c.delete("a")).toBe(false);
    expect(c.size).toBe(0);
  });
});
