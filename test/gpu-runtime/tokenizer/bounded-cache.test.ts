import { describe, expect, it } from "vitest";
import { BoundedCache } from "../../../gpu-runtime/tokenizer/bounded-cache.ts";

describe("BoundedCache", () => {
  it("forgets the least recently used entry when full", () => {
    const cache = new BoundedCache<number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1); // "b" is now the oldest
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    expect(cache.get("c")).toBe(3);
    expect(cache.size).toBe(2);
  });

  it("stores nothing with capacity 0", () => {
    const cache = new BoundedCache<number>(0);
    cache.set("a", 1);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it.each([[-1], [1.5]])("refuses capacity %s", (capacity) => {
    expect(() => new BoundedCache<number>(capacity)).toThrow(RangeError);
  });
});
