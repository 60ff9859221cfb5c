import { describe, expect, it } from "vitest";
import type { ResultImageStore } from "../../../../functions/stores/result-image-store.ts";
import type { MakeStore } from "./make-store.ts";

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

export function describeResultImageStoreConformance(makeStore: MakeStore<ResultImageStore>): void {
  describe("ResultImageStore conformance", () => {
    it("gives back the bytes put under the returned key; one key per generation and index", async () => {
      const store = await makeStore();
      const a = bytes(70_000, 1);
      const b = bytes(10, 2);
      const keyA = await store.put("gen_abc1", 0, "png", a);
      const keyB = await store.put("gen_abc1", 1, "webp", b);
      const keyC = await store.put("gen_xyz2", 0, "png", b);
      expect(new Set([keyA, keyB, keyC]).size).toBe(3);
      expect(await store.get(keyA)).toEqual(a);
      expect(await store.get(keyB)).toEqual(b);
      expect(await store.get(keyC)).toEqual(b);
    });

    it("answers undefined for a key it never gave out, including path tricks", async () => {
      const store = await makeStore();
      await store.put("gen_abc1", 0, "png", bytes(5, 3));
      for (const key of ["1/gen_none-0.png", "../edge.sqlite", "", "1/../../x"]) expect(await store.get(key)).toBeUndefined();
    });

    it("writing the same image again replaces it", async () => {
      const store = await makeStore();
      const first = await store.put("gen_abc1", 0, "png", bytes(5, 4));
      const second = await store.put("gen_abc1", 0, "png", bytes(6, 5));
      expect(second).toBe(first);
      expect(await store.get(second)).toEqual(bytes(6, 5));
    });

    it("deletes an image's bytes; again, or a key it never gave out, is no error; others stay", async () => {
      const store = await makeStore();
      const gone = await store.put("gen_abc1", 0, "png", bytes(5, 6));
      const kept = await store.put("gen_abc1", 1, "png", bytes(7, 8));
      await store.delete(gone);
      expect(await store.get(gone)).toBeUndefined();
      await store.delete(gone);
      for (const key of ["1/gen_none-0.png", "../edge.sqlite", "", "1/../../x"]) await store.delete(key);
      expect(await store.get(kept)).toEqual(bytes(7, 8));
      // A deleted image can be written again under its key.
      expect(await store.put("gen_abc1", 0, "png", bytes(3, 9))).toBe(gone);
      expect(await store.get(gone)).toEqual(bytes(3, 9));
    });
  });
}
