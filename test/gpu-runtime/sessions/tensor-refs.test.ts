import { describe, expect, it } from "vitest";
import { TensorRefEncoder, TensorRefStore } from "../../../gpu-runtime/sessions/tensor-refs.ts";
import { float32 } from "../../../shared/tensor/tensor.ts";

describe("tensor refs", () => {
  it("sends a tensor's data once, then its id alone", () => {
    const enc = new TensorRefEncoder();
    const store = new TensorRefStore(1 << 20);
    const fixed = float32([1, 2, 3], [3]);
    const first = enc.encode({ a: fixed, b: float32([4], [1]) });
    expect(first.a!.tensor).toBe(fixed);
    const second = enc.encode({ a: fixed, b: float32([5], [1]) });
    expect(second.a).toEqual({ ref: first.a!.ref });
    expect(second.b!.tensor).toBeDefined();
    store.decode([first]);
    const got = store.decode([second]);
    expect("feeds" in got && got.feeds[0]!.a).toBe(fixed);
  });

  it("names the ids a store has forgotten, takes them when resent, and keeps one call's tensors even past its budget", () => {
    const enc = new TensorRefEncoder();
    const store = new TensorRefStore(16); // room for one 12-byte tensor
    const x = float32([1, 2, 3], [3]);
    const y = float32([4, 5, 6], [3]);
    store.decode([enc.encode({ x })]);
    store.decode([enc.encode({ y })]);
    const again = enc.encode({ x, y });
    const missing = store.decode([again]);
    expect(missing).toEqual({ missing: [again.x!.ref] });
    const resent = store.decode([enc.encode({ x, y }, new Set([again.x!.ref]))]);
    expect("feeds" in resent && [resent.feeds[0]!.x, resent.feeds[0]!.y]).toEqual([x, y]);
    expect(store.heldBytes).toBe(24);
    // The next call evicts least recently used tensors it does not use, down to the budget.
    store.decode([enc.encode({ z: float32([0], [1]) })]);
    expect(store.heldBytes).toBe(16);
  });

  it("stores data-carrying feeds of every set before reporting what is missing", () => {
    const enc = new TensorRefEncoder();
    const store = new TensorRefStore(1 << 20);
    const shared = float32([7], [1]);
    const sets = [enc.encode({ s: shared }), enc.encode({ s: shared, other: float32([1], [1]) })];
    const got = store.decode(sets);
    expect("feeds" in got && got.feeds[1]!.s).toBe(shared);
  });
});
